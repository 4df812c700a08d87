"""The digest quality benchmark's judges: they catch what they claim to catch (never its figures)."""

from __future__ import annotations

from bench import digest_quality as quality
from tests.digest.realistic import ESSAY_SAMPLE, GARDEN_SAMPLE


def test_a_beat_is_covered_by_two_of_its_cue_groups() -> None:
    beat = ("export", "controls", "amadeh|amodei")
    assert quality.covers(beat, "Amadeh wants tighter export rules.")
    assert not quality.covers(beat, "Export numbers rose.")


def test_the_judges_catch_leaks_headers_anaphors_wrong_entities_and_non_ai_polls() -> None:
    bad = quality.Reading(
        tldr="Episode Date: February 17, 2025",
        points=[
            "That line is the heart of it.",
            "Go to ledgerline.example slash brief to book a demo today.",
        ],
        extras=["Agents"],
        entities=["DeepSeek", "Janus Pro", "Mark Andresen"],
        poll=True,
    )
    good = quality.Reading(
        tldr="A new op-ed argues that America has to win the open-source AI race.",
        points=["Seeds shared through it can be grown, saved and shared again."],
        extras=[],
        entities=["Marta Jensen"],
        poll=False,
    )
    scored = quality.score([bad, good], (ESSAY_SAMPLE, GARDEN_SAMPLE))
    assert len(scored.leaks) == 1 and "ledgerline" in scored.leaks[0]
    assert len(scored.bad_points) == 2  # the header TL;DR and the dangling "That line"
    assert (scored.entities_right, scored.entities_given) == (3, 4)  # "Mark Andresen" is no entity
    assert scored.non_ai_polls == 0  # the non-AI sample's reading suggested none
    assert 0 < scored.faithfulness < 1  # the header TL;DR is the transcript's; "the heart of it" is not


def test_the_naive_baseline_is_measured_on_every_sample() -> None:
    ours, lead = quality.measure()
    assert ours.beats_total == lead.beats_total > 20
    assert lead.leaks and lead.non_ai_polls == 1  # the naive digest shows ads and always polls
