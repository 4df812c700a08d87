"""Deterministic reading of a text: topics, the open-versus-closed angle, whether it is about AI, a poll.

Used by the offline summarizer, and by the digest service to withhold the open-versus-closed poll of an
item with no AI content (whichever backend wrote its digest). Entities live in `bot.digest.entities`.
Lexicons are small and explicit on purpose: the output must be explainable and never invent a name.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from bot.digest.entities import extract_entities
from bot.digest.models import Digest, Entities, PollSuggestion
from bot.digest.sentences import split_sentences

__all__ = [
    "Angle",
    "describe_angle",
    "extract_entities",
    "extract_topics",
    "has_ai_content",
    "measure_angle",
    "suggest_poll",
    "withhold_poll_without_ai",
]

OPEN_TERMS = [
    "open weights", "open-weight", "open weight", "open-weights", "open source", "open-source", "llama",
    "deepseek", "mistral", "qwen", "gemma", "hugging face", "apache 2.0", "permissive license",
    "run it locally", "self-host", "local models", "open model", "open models",
]  # fmt: skip
CLOSED_TERMS = [
    "closed model", "closed models", "closed-source", "closed source", "proprietary", "gpt", "chatgpt",
    "claude", "gemini", "grok", "o1", "o3", "o3-mini", "api-only", "behind an api", "walled garden",
    "frontier lab", "frontier labs", "closed weights", "closed lab", "closed labs", "closed system",
    "closed systems", "closed frontier",
]  # fmt: skip
_OPEN = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(t) for t in OPEN_TERMS) + r")(?!\w)", re.I)
_CLOSED = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(t) for t in CLOSED_TERMS) + r")(?!\w)", re.I)
#: One term counts in at most this many sentences: a name repeated all episode is one piece of evidence.
EVIDENCE_PER_TERM = 3

TOPIC_LEXICON = {
    "open source": "Open source", "open weights": "Open weights", "agent": "Agents",
    "regulation": "Regulation", "policy": "Policy", "policies": "Policy", "chip": "Chips", "gpu": "Chips",
    "semiconductor": "Chips", "data center": "Data centers", "funding": "Funding", "valuation": "Funding",
    "benchmark": "Benchmarks", "reasoning": "Reasoning models", "coding": "Coding", "safety": "Safety",
    "jobs": "Jobs", "enterprise": "Enterprise", "energy": "Energy", "robot": "Robotics",
    "robotics": "Robotics", "copyright": "Copyright", "education": "Education", "china": "China",
    "video": "Video models", "pricing": "Pricing", "price": "Pricing", "search": "Search",
    "privacy": "Privacy", "export control": "Export controls", "national security": "National security",
}  # fmt: skip
_TOKEN = re.compile(r"[\w-]+")
_PHRASES = {
    needle: re.compile(rf"(?<![\w-]){re.escape(needle)}(?:s|es)?(?![\w-])", re.I)
    for needle in TOPIC_LEXICON
    if " " in needle
}
_AI_WORDS = re.compile(
    r"(?<![\w-])(?:AI|A\.I\.|AGI|LLMs?|GPUs?)(?![\w-])|\b(?:artificial intelligence|machine learning|"
    r"language models?|chatbots?|neural networks?|deep learning|generative|foundation models?|"
    r"reasoning models?|open[- ]weights?|closed (?:frontier|labs?|models?|weights)|"
    r"frontier (?:labs?|models?)|model weights|training runs?|inference)\b",
    re.I,
)
#: Companies whose name alone says the text is about AI (unlike Apple, Amazon or Tesla).
AI_LABS = frozenset(
    {"OpenAI", "Anthropic", "DeepMind", "DeepSeek", "Mistral AI", "xAI", "Hugging Face", "Stability AI",
     "Perplexity", "Cohere", "Moonshot", "Zhipu"}
)  # fmt: skip
AI_EVIDENCE_MIN = 2
NO_AI_REASON = (
    "no open-versus-closed poll: the item has no AI content (no AI model or lab named, and fewer than "
    f"{AI_EVIDENCE_MIN} mentions of AI)"
)


def _dedupe(values: list[str], limit: int) -> list[str]:
    seen: set[str] = set()
    out = []
    for value in values:
        folded = value.casefold()
        if folded not in seen:
            seen.add(folded)
            out.append(value)
    return out[:limit]


_GENERIC_TOPICS = frozenset(
    [
        "open",
        "closed",
        "models",
        "model",
        "people",
        "company",
        "companies",
        "said",
        "time",
        "going",
        "become",
        "small",
        "free",
        "cheaper",
        "grown",
        "headlines",
        "developers",
        "better",
        "best",
        "real",
        "still",
        "much",
        "many",
        "says",
        "told",
        "think",
        "week",
        "today",
        "story",
        "stories",
        "episode",
        "issue",
        "show",
        "piece",
        "thing",
        "things",
        "use",
        "used",
        "using",
        "work",
        "works",
        "need",
        "needs",
    ]
)
KEYWORD_MIN = 3  # a keyword becomes a topic only when it is this frequent


def extract_topics(
    text: str, keywords: list[str], limit: int = 6, *, entities: Entities | None = None
) -> list[str]:
    """Topics from a small lexicon of the show's recurring themes (whole words), then strong keywords
    that are not names (a name is an entity, not a topic). Words are counted once, in one pass."""
    written = Counter(_TOKEN.findall(text))
    lowered = Counter(_TOKEN.findall(text.casefold()))
    hits: Counter[str] = Counter()
    for needle, topic in TOPIC_LEXICON.items():
        if " " in needle:
            hits[topic] += len(_PHRASES[needle].findall(text))
        else:
            hits[topic] += lowered[needle] + lowered[needle + "s"] + lowered[needle + "es"]
    topics = [topic for topic, count in sorted(hits.items(), key=lambda kv: (-kv[1], kv[0])) if count >= 2]
    names = {part.casefold() for name in (entities.all() if entities else []) for part in name.split()}
    for word in keywords:
        if word in _GENERIC_TOPICS or word in names or any(word in topic.casefold() for topic in topics):
            continue
        if lowered[word] < KEYWORD_MIN or not written[word]:
            continue  # rare, or only ever written capitalised: a name, not a theme
        topics.append(word.capitalize())
    return _dedupe(topics, limit)


def has_ai_content(text: str, entities: Entities | None = None) -> bool:
    """Whether `text` is about AI at all: a model or an AI lab is named, or AI is mentioned twice."""
    entities = entities if entities is not None else extract_entities(text)
    if entities.models or AI_LABS.intersection(entities.companies):
        return True
    return len(_AI_WORDS.findall(text)) >= AI_EVIDENCE_MIN


@dataclass(frozen=True, slots=True)
class Angle:
    """Pieces of evidence for each side: sentences naming a side's term, at most 3 per term."""

    open_mentions: int
    closed_mentions: int
    open_examples: list[str]
    closed_examples: list[str]

    @property
    def lean(self) -> str:
        """ "open"/"closed" when that side has more and at least twice the other's; "balanced" only when
        both sides have evidence; "none" when neither has."""
        opened, closed = self.open_mentions, self.closed_mentions
        if opened + closed == 0:
            return "none"
        if opened > closed and opened >= 2 * closed:
            return "open"
        if closed > opened and closed >= 2 * opened:
            return "closed"
        return "balanced"


def _evidence(pattern: re.Pattern[str], sentences: list[str]) -> tuple[int, list[str]]:
    seen_in: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for sentence in sentences:
        for term in {m.group(0).lower(): m.group(0) for m in pattern.finditer(sentence)}.items():
            seen_in[term[0]] += 1
            spelling.setdefault(term[0], term[1])
    capped = {term: min(count, EVIDENCE_PER_TERM) for term, count in seen_in.items()}
    ranked = sorted(capped, key=lambda k: (-seen_in[k], k))
    return sum(capped.values()), [spelling[k] for k in ranked[:3]]


def measure_angle(text: str, sentences: list[str] | None = None) -> Angle:
    """How much the text talks about open versus closed AI (distinct evidence, not a judgement)."""
    sentences = sentences if sentences is not None else split_sentences(text)
    open_count, open_examples = _evidence(_OPEN, sentences)
    closed_count, closed_examples = _evidence(_CLOSED, sentences)
    return Angle(open_count, closed_count, open_examples, closed_examples)


def describe_angle(angle: Angle, *, ai: bool = True) -> str:
    """One sentence on the open-versus-closed angle, derived only from the counts it shows."""
    if not ai:
        return "No open-versus-closed angle: the source is not about AI, so no poll is suggested."
    if angle.lean == "none":
        return "No open-versus-closed angle: the source does not discuss open or closed AI."
    opened = ", ".join(angle.open_examples) or "none"
    closed = ", ".join(angle.closed_examples) or "none"
    summary = {"open": "Leans open", "closed": "Leans closed", "balanced": "Both sides"}[angle.lean]
    return (
        f"{summary}: {_mentions(angle.open_mentions, 'open')} ({opened}) against "
        f"{_mentions(angle.closed_mentions, 'closed')} ({closed})."
    )


def _mentions(count: int, side: str) -> str:
    return f"{count} {side}-side mention{'' if count == 1 else 's'}"


DEFAULT_QUESTION = "Open or closed: which kind of AI is winning, judging by this episode?"


def suggest_poll(
    text: str, angle: Angle, sentences: list[str] | None = None, *, ai: bool = True
) -> PollSuggestion:
    """A deterministic poll: a question the source itself asks about open/closed AI, else a default.

    An item that is not about AI gets no poll: no answers, and `skip_reason` says why.
    """
    if not ai:
        return PollSuggestion(question="", answers=[], skip_reason=NO_AI_REASON)
    question = DEFAULT_QUESTION
    for sentence in sentences or []:
        candidate = sentence.strip()
        if (
            candidate.endswith("?")
            and 20 <= len(candidate) <= 300
            and _OPEN.search(candidate)
            and _CLOSED.search(candidate)
        ):
            question = candidate
            break
    answers = [
        _side_label("Open weights", angle.open_examples),
        _side_label("Closed models", angle.closed_examples),
        "Neck and neck",
        "Depends on the job",
    ]
    return PollSuggestion(question=question, answers=answers, open_answers=[0], closed_answers=[1])


def _side_label(side: str, examples: list[str]) -> str:
    """ "Open weights (Llama, DeepSeek)": named examples only (not "open source"), within 55 characters."""
    names = [e for e in examples if e[:1].isupper()][:2]
    label = f"{side} ({', '.join(names)})" if names else side
    return label if len(label) <= 55 else side


def withhold_poll_without_ai(digest: Digest, text: str) -> Digest:
    """`digest` with its poll withheld (and the reason recorded) when `text` is not about AI at all."""
    if digest.poll.skip_reason or has_ai_content(text):
        return digest
    return replace(
        digest,
        poll=PollSuggestion(question="", answers=[], skip_reason=NO_AI_REASON),
        angle=describe_angle(measure_angle(text), ai=False),
    )
