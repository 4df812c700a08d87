"""Token estimates and the chunk plan for long sources.

Tokens are estimated offline (tiktoken downloads its tables at run time, which fails here): English prose
averages about 4 characters per token with OpenAI's and Llama's tokenizers, so the estimate is
`ceil(chars / 4 * 1.1)`, 10 % over the average as a safety margin. It errs high, so a chunk planned within
the context budget fits even when a tokenizer is less efficient on names and numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from bot.digest.offline import split_sentences

CHARS_PER_TOKEN = 4.0
SAFETY_MARGIN = 1.10
MIN_CHUNK_TOKENS = 200
FILL = 0.92
#: A part smaller than twice this is not split further when it fails.
MIN_SPLIT_TOKENS = 60


def estimate_tokens(text: str) -> int:
    """A conservative offline token count for `text` (see the module docstring)."""
    if not text:
        return 0
    return -(-len(text) * 11 // 40)  # ceil(chars / 4 * 1.1) in integers, free of float rounding


@dataclass(frozen=True, slots=True)
class ChunkPlan:
    chunks: list[str]
    chunk_budget: int

    @property
    def needs_combine(self) -> bool:
        return len(self.chunks) > 1

    @property
    def estimated_tokens(self) -> int:
        return sum(estimate_tokens(chunk) for chunk in self.chunks)


def chunk_budget(context_tokens: int, overhead_tokens: int, output_tokens: int) -> int:
    """Tokens of source text one request may carry: the context less prompt, schema and the answer."""
    return max(MIN_CHUNK_TOKENS, context_tokens - overhead_tokens - output_tokens)


def plan_chunks(text: str, budget: int) -> ChunkPlan:
    """Split `text` on sentence boundaries into the fewest chunks within `budget`, of balanced size.

    Balanced rather than greedy: each chunk aims at what is left divided by the chunks left, and ends at
    the sentence boundary nearest that target, so the last chunk is not a short remainder that costs a
    whole request's prompt overhead for a few sentences. No overlap: overlap would be paid twice.
    """
    total = estimate_tokens(text)
    if total <= budget:
        return ChunkPlan([text], budget)
    pieces = list(_pieces(text, budget))
    remaining = sum(cost for _, cost in pieces)
    # Sentences rarely end exactly at the budget: chunks filled to over FILL of it would leave a remainder.
    left = math.ceil(remaining / (budget * FILL))  # the costs, not `total`: each carries its separator
    target = remaining / left
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for piece, cost in pieces:
        if current and (size + cost > budget or (left > 1 and size + cost / 2 > target)):
            chunks.append(" ".join(current))
            remaining -= size
            left = max(1, left - 1, math.ceil(remaining / budget))
            target = remaining / left
            current, size = [], 0
        current.append(piece)
        size += cost
    if current:
        chunks.append(" ".join(current))
    return ChunkPlan(chunks, budget)


def _pieces(text: str, budget: int) -> Iterator[tuple[str, int]]:
    """The sentences of `text` with their cost; a "sentence" longer than a chunk is cut by characters."""
    for sentence in split_sentences(text):
        cost = estimate_tokens(sentence) + 1
        if cost <= budget:
            yield sentence, cost
            continue
        step = int(budget * CHARS_PER_TOKEN / SAFETY_MARGIN) - 8
        for i in range(0, len(sentence), step):
            piece = sentence[i : i + step]
            yield piece, estimate_tokens(piece) + 1


def split_in_two(text: str) -> tuple[str, str] | None:
    """`text` in two halves of about equal size at a sentence boundary, or None when it is too short."""
    total = estimate_tokens(text)
    if total < 2 * MIN_SPLIT_TOKENS:
        return None
    pieces = [piece for piece, _ in _pieces(text, max(MIN_SPLIT_TOKENS, total // 2))]
    if len(pieces) < 2:
        return None
    costs = [estimate_tokens(piece) for piece in pieces]
    half, running, cut = sum(costs) / 2, 0, 1
    for index, cost in enumerate(costs[:-1], start=1):
        running += cost
        cut = index
        if running + costs[index] / 2 > half:
            break
    return " ".join(pieces[:cut]), " ".join(pieces[cut:])
