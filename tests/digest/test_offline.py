from __future__ import annotations

import pytest

from bot.digest.models import KEY_POINTS_MAX, KEY_POINTS_MIN, TLDR_LIMIT
from bot.digest.offline import split_sentences, summarize_offline
from tests.digest.transcripts import SHORT, hour_transcript


def test_same_text_gives_the_same_digest() -> None:
    text = hour_transcript(3000)
    assert summarize_offline(text, "Ep").to_dict() == summarize_offline(text, "Ep").to_dict()


def test_key_points_and_tldr_are_sentences_of_the_source() -> None:
    digest = summarize_offline(SHORT, "Open weights week")
    sentences = set(split_sentences(SHORT))
    assert KEY_POINTS_MIN <= len(digest.key_points) <= KEY_POINTS_MAX
    for point in digest.key_points:
        assert point in sentences
    assert digest.tldr in sentences
    assert len(digest.tldr) <= TLDR_LIMIT
    assert digest.key_points == sorted(digest.key_points, key=SHORT.index)  # in the order of the episode


def test_key_points_do_not_repeat_the_tldr() -> None:
    for text in (SHORT, hour_transcript(3000)):
        digest = summarize_offline(text, "Ep")
        assert digest.tldr not in digest.key_points
        assert len(digest.key_points) >= KEY_POINTS_MIN


def test_a_source_of_three_sentences_keeps_them_all_as_key_points() -> None:
    text = (
        "Meta released the weights of its newest model for anyone to download and run. "
        "OpenAI answered by cutting the price of its closed model for developers again. "
        "Developers compared both models on real coding tasks over the whole weekend."
    )
    digest = summarize_offline(text, "Ep")
    assert len(digest.key_points) == 3 and digest.tldr in digest.key_points


def test_short_transcript_finds_entities_quote_and_poll() -> None:
    digest = summarize_offline(SHORT, "Open weights week")
    assert {"Meta", "OpenAI", "DeepSeek", "Nvidia"} <= set(digest.entities.companies)
    assert {"Llama 4", "GPT-5", "DeepSeek R1", "Claude", "Gemini"} <= set(digest.entities.models)
    assert {"Sam Altman", "Yann LeCun"} <= set(digest.entities.people)
    assert digest.quote == "Open weights are the only way to know what runs on your own machine"
    # The source asks an open-versus-closed question itself: it becomes the poll question.
    assert digest.poll.question == "Is open source going to beat closed models this year?"
    assert 2 <= len(digest.poll.answers) <= 5
    assert all(len(answer) <= 55 for answer in digest.poll.answers)
    assert digest.poll.open_answers == [0]
    assert digest.poll.closed_answers == [1]
    assert digest.backend == "offline"
    assert digest.tokens_in == digest.tokens_out == 0


def test_no_quote_and_default_poll_when_the_text_offers_none() -> None:
    text = (
        "The weather was calm across the valley this morning. Farmers started the harvest early this year. "
        "Markets in town expect a good season for apples and pears."
    )
    digest = summarize_offline(text, "Farm news")
    assert digest.quote is None
    assert digest.angle.startswith("No open-versus-closed angle")
    assert digest.entities.all() == []
    # Not about AI at all: no open-versus-closed poll, and the digest says why.
    assert digest.poll.answers == [] and digest.poll.skip_reason is not None
    assert "no AI content" in digest.poll.skip_reason
    ai_text = (
        "The AI lab spent the week hiring. Its chatbot answered support mail for the first time. "
        "Staff said the AI saved them hours of routine work."
    )
    ai_digest = summarize_offline(ai_text, "Lab news")
    assert ai_digest.poll.question.startswith("Open or closed") and ai_digest.poll.skip_reason is None


def test_splitting_keeps_abbreviations_and_splits_before_unknown_names() -> None:
    text = (
        "We met at 9 a.m. on Monday. Dr. Smith said the U.S. Senate agreed. "
        "It failed on real tasks. Analysts agree."
    )
    assert split_sentences(text) == [
        "We met at 9 a.m. on Monday.",
        "Dr. Smith said the U.S. Senate agreed.",
        "It failed on real tasks.",
        "Analysts agree.",
    ]


@pytest.mark.timeout(20)
def test_one_hour_transcript_gives_a_sensible_digest() -> None:
    text = hour_transcript(10_000)
    digest = summarize_offline(text, "One hour")
    sentences = set(split_sentences(text))
    assert len(digest.key_points) == KEY_POINTS_MAX
    assert all(point in sentences for point in digest.key_points)
    assert len(set(digest.key_points)) == len(digest.key_points)
    assert len(digest.tldr) <= TLDR_LIMIT
    assert {"OpenAI", "Meta", "Anthropic", "Google", "Nvidia"} <= set(digest.entities.companies)
    assert digest.entities.people == []  # nobody is named in it; "Claude Opus" is a model, not a person
    assert digest.angle.startswith(("Leans open", "Both sides"))
    assert len(digest.topics) >= 3


def test_empty_and_title_only_sources_do_not_crash() -> None:
    digest = summarize_offline("", "Episode 12: open weights")
    assert digest.tldr == "Episode 12: open weights"
    assert digest.key_points == ["Episode 12: open weights"]
    one = summarize_offline("Short note.", "T")
    assert one.key_points == ["Short note."]


def test_preview_text_for_the_offline_run() -> None:
    from bot.digest import preview_text

    text = preview_text("Open weights week", SHORT)
    assert text.startswith("TL;DR: ")
    assert "Is open source going to beat closed models this year?" in text
    assert "sentences quoted from the show notes" in text
    assert "the newsletter issue" in preview_text("Issue", SHORT, newsletter=True)


def test_unpunctuated_captions_still_give_key_points_from_the_source() -> None:
    source = " ".join(hour_transcript(3000).replace(".", "").replace("?", "").lower().split())
    digest = summarize_offline(source, "Auto captions")
    assert len(digest.key_points) >= KEY_POINTS_MIN
    assert all(point in source and len(point) <= 300 for point in digest.key_points)
    assert digest.tldr in source and len(digest.tldr) <= TLDR_LIMIT


def test_show_notes_bullets_become_key_points_without_their_list_markers() -> None:
    text = (
        "Today: an openly licensed model closes most of the gap on two coding benchmarks.\n"
        "- What the new release includes: weights, a model card, but not the training data.\n"
        "* Why benchmark scores and everyday usefulness are not the same thing.\n"
        "• The listener question of the day: would you run a coding model locally?"
    )
    digest = summarize_offline(text, "Open weights catch up")
    points = [digest.tldr, *digest.key_points]
    assert any(p.startswith("What the new release includes") for p in points)
    assert not [p for p in points if p[:1] in "-*•"]
