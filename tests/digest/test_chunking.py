from __future__ import annotations

from bot.digest.chunking import estimate_tokens, plan_chunks
from bot.digest.offline import split_sentences
from tests.digest.transcripts import hour_transcript


def test_estimate_errs_high() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd" * 100) == 110  # 100 tokens at 4 chars/token, plus the 10 % margin


def test_short_text_is_one_chunk() -> None:
    plan = plan_chunks("One sentence. Two sentences.", 1000)
    assert plan.chunks == ["One sentence. Two sentences."]
    assert not plan.needs_combine


def test_long_text_is_split_on_sentences_within_budget_and_balanced() -> None:
    text = hour_transcript(10_000)
    plan = plan_chunks(text, 5000)
    assert len(plan.chunks) == -(-estimate_tokens(text) // 5000)  # the fewest chunks that fit
    assert all(estimate_tokens(chunk) <= 5000 for chunk in plan.chunks)
    sizes = [len(chunk) for chunk in plan.chunks]
    assert min(sizes) > 0.6 * max(sizes)
    # Nothing lost, nothing repeated, no sentence cut in two.
    assert " ".join(plan.chunks).split() == text.split()
    sentences = set(split_sentences(text))
    for chunk in plan.chunks:
        assert all(s in sentences for s in split_sentences(chunk))


def test_a_sentence_longer_than_a_chunk_is_cut() -> None:
    text = "word " * 5000  # no punctuation at all
    plan = plan_chunks(text, 600)
    assert all(estimate_tokens(chunk) <= 600 for chunk in plan.chunks)
    assert "".join(plan.chunks).replace(" ", "") == text.replace(" ", "")


def test_partials_are_trimmed_and_grouped_to_fit_a_request() -> None:
    import json

    from bot.digest.combine import group_parts, shrink_part

    def partial(n: int) -> dict[str, object]:
        return {
            "tldr": f"Part {n} in one line.",
            "key_points": [f"Point {k} of part {n} with some words to make it longer." for k in range(7)],
            "quote": "A notable quote from the part, long enough to matter.",
            "entities": {"companies": ["Meta", "OpenAI"], "models": ["Llama 4"], "people": ["Sam Altman"]},
        }

    budget = 300
    parts = [shrink_part(partial(n), budget) for n in range(9)]
    assert all(estimate_tokens(json.dumps(p)) < budget // 2 for p in parts)
    assert all(p["key_points"] for p in parts)  # trimmed from the end, never emptied
    assert parts[0]["key_points"][0] == "Point 0 of part 0 with some words to make it longer."
    groups = group_parts(parts, budget)
    assert [p for g in groups for p in g] == parts  # in order, nothing lost
    assert all(estimate_tokens(json.dumps(g)) <= budget for g in groups)
    assert all(len(g) >= 2 for g in groups[:-1]) and len(groups) < len(parts)  # every round makes progress
    # Three fit in 420 tokens: four partials become two pairs rather than a triple and a lone partial.
    assert [len(g) for g in group_parts(parts[:4], 420)] == [2, 2]
