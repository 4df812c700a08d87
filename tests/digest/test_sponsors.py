"""Sponsor reads (and a metadata header) are cut before either backend or the search index sees the source."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from aiohttp import web

from bot.digest.cues import Cue
from bot.digest.models import EpisodeInput, TranscriptRef
from bot.digest.service import DigestService
from bot.digest.source import SourceText, choose_source, clean_source
from bot.digest.sponsors import strip_sponsor_reads
from bot.feeds.fetch import Fetcher
from bot.store import Store
from tests.digest.realistic import ESSAY, ESSAY_DESCRIPTION, ESSAY_TITLE, ROUNDUP, SAMPLES
from tests.doubles.openai_double import OpenAIDouble

BRANDS = re.compile(r"ledgerline|brightwork|quillmark|greenleaf|use code|promo code|\.example", re.I)


def test_the_three_spoken_reads_are_cut_and_the_argument_kept() -> None:
    stripped = strip_sponsor_reads(ESSAY)
    assert not BRANDS.search(stripped.text)
    openers = [s for s in stripped.removed if re.search(r"brought to you by|word from our sponsor", s)]
    assert len(openers) == 3
    assert "Now back to the show." in stripped.removed
    for kept in (
        "The race framing does a lot of work in this op-ed",
        "Whitfield writes that OpenAI, Anthropic and Google",
        "Mark Andresen called R1 AI's Sputnik moment",
        "So where does this leave us.",
    ):
        assert kept in stripped.text
    removed_words = sum(len(s.split()) for s in stripped.removed)
    assert removed_words < 0.1 * len(ESSAY.split())  # the ads, not the episode


def test_a_pitch_without_an_opener_is_cut_by_its_call_to_action() -> None:
    stripped = strip_sponsor_reads(ROUNDUP)
    assert not BRANDS.search(stripped.text)
    assert "Quick one before we go." in stripped.removed
    assert "That is it for the headlines." in stripped.text
    assert "anyone relying on them for research should check the sources." in stripped.text


def test_news_that_mentions_sponsorship_or_links_is_not_an_ad() -> None:
    text = (
        "A bill sponsored by Senator Maria Lopez would require labs to report their largest training runs. "
        "The paper describing the model is available at arxiv.org for anyone who wants the details. "
        "OpenAI said on openai.com that the new model would reach free users next week. "
        "Critics say the lab is brought to you by Microsoft money, and Microsoft denies it. "
        "Microsoft says the partnership is at arm's length. Regulators are looking at Microsoft too."
    )
    assert strip_sponsor_reads(text).removed == ()
    assert strip_sponsor_reads(text).text == text


def test_show_notes_sponsor_block_is_cut_and_the_description_kept() -> None:
    stripped = strip_sponsor_reads(ESSAY_DESCRIPTION)
    assert stripped.text.startswith("With China's DeepSeek R1 showing that open models can keep pace")
    assert not BRANDS.search(stripped.text)
    assert "Brought to you by:" in stripped.removed
    block = "Brought to you by:\nKPMG - Go to https://kpmg.example/ai\nVanta - Simpler audits at https://vanta.example\n"
    assert strip_sponsor_reads(block + "\nThe AI Daily Brief covers the news.").text == (
        "The AI Daily Brief covers the news."
    )  # a sponsor line without an imperative is still part of the block


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_cutting_is_idempotent_and_leaves_no_brand(sample) -> None:  # type: ignore[no-untyped-def]
    once = strip_sponsor_reads(sample.text)
    assert once.removed and strip_sponsor_reads(once.text).removed == ()
    assert not [brand for brand in sample.sponsors if brand in once.text]


def _sent(double: OpenAIDouble) -> str:
    return "\n".join(
        str(message["content"]) for request in double.chat_requests for message in request["messages"]
    )


async def test_the_llm_request_carries_no_sponsor_text(
    double: OpenAIDouble, make_service: Callable[..., DigestService]
) -> None:
    service = make_service()
    source = SourceText(ESSAY, "transcript", "https://example.com/t.txt", ESSAY_DESCRIPTION)
    digest = await service.digest_text("essay", ESSAY_TITLE, source)
    assert digest.backend == "llm" and double.chat_requests
    sent = _sent(double)
    assert "Whitfield writes" in sent  # the episode went out
    assert not BRANDS.search(sent), BRANDS.findall(sent)
    # The transcript's metadata header is gone too; the summary glued to its date is kept.
    assert "Episode Date" not in sent and "February 17, 2025" not in sent
    assert "With China's DeepSeek R1 showing that open models can keep pace" in sent


async def test_show_notes_reach_the_llm_without_their_reads(
    double: OpenAIDouble, make_service: Callable[..., DigestService]
) -> None:
    service = make_service()
    digest = await service.ensure_digest(
        EpisodeInput(key="roundup", title="Roundup", show_notes_text=ROUNDUP)
    )
    assert digest.backend == "llm" and digest.source == "show_notes"
    sent = _sent(double)
    assert "o3-mini" in sent and not BRANDS.search(sent)


@pytest.fixture
async def essay_server() -> AsyncIterator[str]:
    async def transcript(request: web.Request) -> web.Response:
        return web.Response(text=ESSAY, content_type="text/plain")

    app = web.Application()
    app.router.add_get("/essay.txt", transcript)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_a_fetched_transcript_is_indexed_and_digested_without_ads(
    essay_server: str, store: Store
) -> None:
    indexed: list[str] = []

    async def sink(key: str, text: str, url: str | None, cues: tuple[Cue, ...] = ()) -> None:
        indexed.append(text)

    episode = EpisodeInput(
        key="essay",
        title=ESSAY_TITLE,
        show_notes_text=ESSAY_DESCRIPTION,
        transcripts=(TranscriptRef(f"{essay_server}/essay.txt", "text/plain"),),
    )
    async with aiohttp.ClientSession() as session:
        fetcher = Fetcher(session, allow_private=True, timeout=5)
        source = await choose_source(episode, fetcher)
        service = DigestService(store.digests, fetcher=fetcher, on_transcript=sink)
        digest = await service.ensure_digest(episode)
    assert source.kind == "transcript" and not BRANDS.search(source.text)
    assert source.description.startswith("With China's DeepSeek R1") and not BRANDS.search(source.description)
    assert indexed and not BRANDS.search(indexed[0])  # the search index never holds the ads
    assert digest.tldr == source.description.split(". ")[0] + "."  # the publisher's summary, via the service


def test_the_timed_cues_of_a_cut_read_are_cut_too() -> None:
    """/ask builds its passages (and their moments) from the cues: an ad must not survive there either."""
    said = [
        (0.0, "Today the open-weights lab shipped a model that matches the frontier on coding."),
        (9.0, "Today's episode is brought to you by Ledgerline."),
        (13.0, "Ledgerline closes your books in minutes, so go to ledgerline.example and use code BRIEF."),
        (21.0, "Now back to the show."),
        (24.0, "The closed labs answered with a price cut the same afternoon."),
    ]
    source = SourceText(
        " ".join(text for _, text in said), "transcript", cues=tuple(Cue(at, text) for at, text in said)
    )
    cleaned = clean_source(source)
    assert [cue.start for cue in cleaned.cues] == [0.0, 24.0]
    assert "Ledgerline" not in cleaned.text
