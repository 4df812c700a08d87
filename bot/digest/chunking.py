"""Token estimates and the chunk plan for long sources.

Tokens are estimated offline (tiktoken downloads its tables at run time, which fails here): English prose
averages about 4 characters per token with OpenAI's and Llama's tokenizers, so the estimate is
`ceil(chars / 4 * 1.1)`, 10 % over the average as a safety margin. It errs high, so a chunk planned within
the context budget fits even when a tokenizer is less efficient on names and numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.digest.offline import split_sentences

CHARS_PER_TOKEN = 4.0
SAFETY_MARGIN = 1.10
MIN_CHUNK_TOKENS = 200


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

    Balanced (each about total / n) rather than greedy, so the last chunk is not a short remainder that
    costs a whole request's prompt overhead for a few sentences. No overlap: overlap would be paid twice.
    """
    total = estimate_tokens(text)
    if total <= budget:
        return ChunkPlan([text], budget)
    count = math.ceil(total / budget)
    target = total / count
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in split_sentences(text):
        cost = estimate_tokens(sentence) + 1
        if cost > budget:  # a "sentence" longer than a chunk (no punctuation): cut it by characters
            step = int(budget * CHARS_PER_TOKEN / SAFETY_MARGIN) - 8
            pieces = [sentence[i : i + step] for i in range(0, len(sentence), step)]
        else:
            pieces = [sentence]
        for piece in pieces:
            cost = estimate_tokens(piece) + 1
            if current and (size + cost > budget or (size >= target and len(chunks) < count - 1)):
                chunks.append(" ".join(current))
                current, size = [], 0
            current.append(piece)
            size += cost
    if current:
        chunks.append(" ".join(current))
    return ChunkPlan(chunks, budget)
