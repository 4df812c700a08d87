"""The offline answer: the best passages quoted, each with its citation, so `/ask` works without an LLM.

It never writes a claim of its own: each sentence of the answer is a quotation of the archive (the sentences
of a passage that share most words with the question). When the best passage covers too little of the
question, the archive is said not to support an answer and the closest passages are shown instead.
"""

from __future__ import annotations

from bot.ask.models import Answer, Citation, Sentence, best_quote
from bot.ask.retrieve import SUPPORT_COVERAGE, Retrieval, Scored

OFFLINE_PASSAGES = 3
CLOSEST_PASSAGES = 3
COVERAGE_BAND = 0.75


def _citations(passages: list[Scored], question: str) -> list[Citation]:
    return [
        Citation.of(n, scored.candidate, best_quote(scored.candidate.text, question))
        for n, scored in enumerate(passages, start=1)
    ]


def unsupported(retrieval: Retrieval, *, backend: str = "offline", reason: str | None = None) -> Answer:
    """ "The archive does not support an answer", with the closest passages as citations."""
    return Answer(
        question=retrieval.question,
        supported=False,
        sentences=[],
        citations=_citations(retrieval.passages[:CLOSEST_PASSAGES], retrieval.question),
        backend="llm" if backend == "llm" else "offline",
        fallback_reason=reason,
        earliest=retrieval.earliest,
    )


def extractive_answer(retrieval: Retrieval, *, fallback_reason: str | None = None) -> Answer:
    """Quote the best passages (the earliest first for "first time" questions), each cited."""
    if not retrieval.supported:
        return unsupported(retrieval, reason=fallback_reason)
    # Passages that cover nearly as much of the question as the best one (not merely one word of it).
    floor = max(SUPPORT_COVERAGE, COVERAGE_BAND * max(p.coverage for p in retrieval.passages))
    chosen = [p for p in retrieval.passages if p.coverage >= floor][:OFFLINE_PASSAGES]
    citations = _citations(chosen, retrieval.question)
    sentences = []
    for citation in citations:
        quote = f"“{citation.quote}”"
        if retrieval.earliest and citation.published is not None:
            quote = f"On {citation.published:%d %B %Y}: {quote}"
        sentences.append(Sentence(quote, (citation.n,)))
    return Answer(
        question=retrieval.question,
        supported=True,
        sentences=sentences,
        citations=citations,
        backend="offline",
        fallback_reason=fallback_reason,
        earliest=retrieval.earliest,
    )
