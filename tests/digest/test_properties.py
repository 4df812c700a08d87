"""Properties that must hold for any input: hostile feeds and models included."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.digest.models import Digest, Entities, PollSuggestion
from bot.digest.render import render_digest_embed, render_digest_line
from bot.digest.schema import DigestOut, InvalidOutput, clean_output
from bot.digest.source import to_clean_text

MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")
FORMATS = st.sampled_from(
    [None, "text/plain", "text/html", "text/vtt", "application/x-subrip", "application/json"]
)
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)
hostile = st.one_of(
    texts, st.sampled_from(["@everyone", "<@123>", "<@&9>", "<#7>", "@here hi", "\u202e", "x" * 700])
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=texts, declared=FORMATS)
def test_any_transcript_body_parses_without_error(body: str, declared: str | None) -> None:
    assert isinstance(to_clean_text(body, declared), str)


@settings(max_examples=150, deadline=None)
@given(
    tldr=hostile,
    points=st.lists(hostile, min_size=3, max_size=12),
    names=st.lists(hostile, max_size=15),
    question=hostile,
    answers=st.lists(hostile, min_size=2, max_size=9),
    indices=st.lists(st.integers(-3, 12), max_size=6),
)
def test_cleaned_model_output_is_within_limits_and_pings_nobody(
    tldr: str, points: list[str], names: list[str], question: str, answers: list[str], indices: list[int]
) -> None:
    out = DigestOut.model_validate(
        {
            "tldr": tldr or "x",
            "key_points": points,
            "topics": names,
            "entities": {"companies": names, "models": names, "people": names},
            "quote": question,
            "angle": tldr,
            "poll": {
                "question": question or "q",
                "answers": answers,
                "open_answers": indices,
                "closed_answers": indices,
            },
        }
    )
    try:
        tldr_, key_points, topics, entities, quote, angle, poll = clean_output(out)
    except InvalidOutput:
        return  # too little usable text: the offline digest is used instead
    everything = [
        tldr_,
        *key_points,
        *topics,
        *entities.all(),
        quote or "",
        angle,
        poll.question,
        *poll.answers,
    ]
    assert not any(MENTION.search(text) for text in everything)
    assert len(tldr_) <= 280 and 3 <= len(key_points) <= 7 and all(len(p) <= 300 for p in key_points)
    assert (
        2 <= len(poll.answers) <= 5 and all(len(a) <= 55 for a in poll.answers) and len(poll.question) <= 300
    )
    assert set(poll.open_answers) <= set(range(len(poll.answers)))
    assert set(poll.closed_answers) <= set(range(len(poll.answers)))
    assert not set(poll.open_answers) & set(poll.closed_answers)


@settings(max_examples=60, deadline=None)
@given(text=hostile, points=st.lists(hostile, min_size=1, max_size=7), names=st.lists(hostile, max_size=10))
def test_any_digest_renders_within_discord_limits(text: str, points: list[str], names: list[str]) -> None:
    digest = Digest(
        tldr=text,
        key_points=points,
        topics=names,
        entities=Entities(names, names, names),
        quote=text or None,
        angle=text,
        poll=PollSuggestion("q", ["a", "b"]),
        backend="llm",
        model=text,
        source="transcript",
        fallback_reason=text or None,
    )

    class Item:
        title = text
        link = None

    embed = render_digest_embed(digest, Item())
    assert len(embed) <= 6000
    assert not MENTION.search(str(embed.to_dict()))
    assert len(render_digest_line(digest)) <= 300
