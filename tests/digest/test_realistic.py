"""The op-ed read aloud (about 2,700 words, three sponsor reads, misspelled names): what a reader notices."""

from __future__ import annotations

import re

import pytest

from bot.digest.analysis import Angle, describe_angle
from bot.digest.models import Digest
from bot.digest.offline import split_sentences, summarize_offline
from tests.digest.realistic import ESSAY, ESSAY_DESCRIPTION, ESSAY_TITLE, GARDEN_SAMPLE, SAMPLES

SPONSORS = re.compile(r"ledgerline|brightwork|quillmark|promo|use code|\.example", re.I)
ANAPHOR = re.compile(r"^(?:that|this|these|those|it|it's|its|they|he|she|which)\b", re.I)


@pytest.fixture(scope="module")
def essay() -> Digest:
    return summarize_offline(ESSAY, ESSAY_TITLE, source="transcript", description=ESSAY_DESCRIPTION)


def test_the_essay_is_the_length_of_a_real_episode() -> None:
    assert 2_500 <= len(ESSAY.split()) <= 2_900
    assert len(re.findall(r"brought to you by|word from our sponsor", ESSAY, re.I)) == 3


def test_tldr_is_the_publishers_own_summary(essay: Digest) -> None:
    summary = split_sentences(ESSAY_DESCRIPTION)[0]
    assert essay.tldr == summary
    # Also when the transcript does not repeat it (no header blurb): the description still wins.
    body = ESSAY.split("open-source AI race.\n\n", 1)[1]
    assert summary not in body
    digest = summarize_offline(body, ESSAY_TITLE, source="transcript", description=ESSAY_DESCRIPTION)
    assert digest.tldr == summary


def test_no_header_date_or_title_line_is_shown(essay: Digest) -> None:
    for text in [essay.tldr, *essay.key_points]:
        assert "Episode" not in text and "February 17" not in text and "2025" not in text
        assert not text.casefold().startswith(ESSAY_TITLE.casefold())
        assert not text.startswith("The AI Daily Brief")


def test_no_key_point_opens_on_a_dangling_anaphor(essay: Digest) -> None:
    assert len(essay.key_points) == 7
    for point in essay.key_points:
        assert not ANAPHOR.match(point), point
        assert point in ESSAY.replace("\\\n", "").replace("\n", " ") or point.startswith("[")


def test_no_sponsor_reaches_any_field(essay: Digest) -> None:
    shown = [essay.tldr, *essay.key_points, *essay.topics, *essay.entities.all(), essay.quote or ""]
    assert not [text for text in shown if SPONSORS.search(text)]
    assert "Agents" not in essay.topics  # the only agents in the episode are in an ad


def test_key_points_say_who_argued_what(essay: Digest) -> None:
    points = " ".join(essay.key_points)
    speakers = [name for name in ("Whitfield", "Amadeh", "Altman", "Andresen") if name in points]
    assert len(speakers) >= 3, essay.key_points


def test_models_are_models_and_misheard_names_are_known_people(essay: Digest) -> None:
    models, people = essay.entities.models, essay.entities.people
    assert "Janus Pro" in models and not any("Janus" in person for person in people)
    assert any(model.endswith("R1") for model in models)
    assert {"O3", "Claude 3 Opus", "Grok"} <= set(models)  # "Anthropics Clod 3 Opus", "GROC"
    assert {"Dario Amodei", "Marc Andreessen", "Sam Altman", "Tara Whitfield"} <= set(people)
    assert not {"Dario Amadeh", "Mark Andresen", "Clod"} & set(essay.entities.all())  # nothing invented
    assert "Anthropic" in essay.entities.companies


def test_topics_match_whole_words_only(essay: Digest) -> None:
    assert "research" in ESSAY and not re.search(r"\bsearch\b", ESSAY, re.I)
    assert "Search" not in essay.topics


def _consistent(angle: str) -> bool:
    match = re.match(
        r"(Leans open|Leans closed|Both sides): (\d+) open-side .* against (\d+) closed-side", angle
    )
    assert match, angle
    label, opened, closed = match.group(1), int(match.group(2)), int(match.group(3))
    if label == "Leans open":
        return opened > closed
    if label == "Leans closed":
        return closed > opened
    return opened > 0 and closed > 0


def test_the_lean_agrees_with_its_own_counts(essay: Digest) -> None:
    assert _consistent(essay.angle)
    for opened in range(5):
        for closed in range(5):
            if opened or closed:
                assert _consistent(describe_angle(Angle(opened, closed, ["Llama"], ["GPT"])))


def test_one_name_repeated_is_not_a_pile_of_evidence() -> None:
    text = " ".join(f"DeepSeek came up again in story {n}." for n in range(12)) + " GPT was mentioned once."
    digest = summarize_offline(text, "Repeats")
    assert digest.angle.startswith("Leans open: 3 open-side mentions (DeepSeek) against 1 closed-side")


def test_a_non_ai_source_gets_no_poll_even_with_open_source_in_it() -> None:
    sample = GARDEN_SAMPLE
    assert "open source" in sample.text
    digest = summarize_offline(sample.text, sample.title, source=sample.kind, description=sample.description)
    assert digest.poll.answers == [] and "no AI content" in (digest.poll.skip_reason or "")
    assert "not about AI" in digest.angle
    assert digest.entities.people == ["Marta Jensen"] and not digest.entities.models


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_every_sample_digest_is_clean(sample) -> None:  # type: ignore[no-untyped-def]
    digest = summarize_offline(sample.text, sample.title, source=sample.kind, description=sample.description)
    shown = [digest.tldr, *digest.key_points, *digest.topics, *digest.entities.all(), digest.quote or ""]
    assert not [text for text in shown if any(brand in text for brand in sample.sponsors)]
    assert all(name in sample.entities for name in digest.entities.all()), digest.entities
    assert bool(digest.poll.answers) == sample.about_ai
