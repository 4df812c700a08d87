"""Deterministic reading of a text: named entities, topics, the open-versus-closed angle, a poll.

Used by the offline summarizer, and by the LLM backend to fill a poll when the model's one is unusable.
Lexicons are small and explicit on purpose: the output must be explainable and never invent a name.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from bot.digest.models import Entities, PollSuggestion

COMPANIES = {
    "openai": "OpenAI", "anthropic": "Anthropic", "google": "Google", "deepmind": "DeepMind",
    "meta": "Meta", "microsoft": "Microsoft", "nvidia": "Nvidia", "mistral ai": "Mistral AI",
    "deepseek": "DeepSeek", "xai": "xAI", "alibaba": "Alibaba", "apple": "Apple", "amazon": "Amazon",
    "hugging face": "Hugging Face", "perplexity": "Perplexity", "cohere": "Cohere", "ibm": "IBM",
    "salesforce": "Salesforce", "tesla": "Tesla", "amd": "AMD", "intel": "Intel", "tsmc": "TSMC",
    "stability ai": "Stability AI", "moonshot": "Moonshot", "zhipu": "Zhipu", "cursor": "Cursor",
    "databricks": "Databricks", "snowflake": "Snowflake", "oracle": "Oracle", "softbank": "SoftBank",
}  # fmt: skip
_COMPANY = re.compile(
    r"(?<![\w-])(?:"
    + "|".join(re.escape(k) for k in sorted(COMPANIES, key=len, reverse=True))
    + r")(?![\w-])"
)
_MODEL_PATTERNS = [
    r"GPT-?\d(?:\.\d)?(?:[- ]?(?:o|mini|turbo|pro|nano))?", r"ChatGPT", r"o[134](?:-(?:mini|pro))?",
    r"Claude(?: (?:\d(?:\.\d)? )?(?:Opus|Sonnet|Haiku)(?: \d(?:\.\d)?)?)?",
    r"Gemini(?: \d(?:\.\d)?)?(?: (?:Pro|Flash|Ultra))?", r"Llama ?\d(?:\.\d)?", r"Llama",
    r"Mistral(?: (?:Large|Small|Medium))?", r"Mixtral", r"Qwen ?\d?(?:\.\d)?",
    r"DeepSeek[- ](?:R\d|V\d(?:\.\d)?)", r"Grok(?: \d)?", r"Gemma(?: \d)?", r"Phi-\d", r"Kimi(?: K\d)?",
    r"Sora", r"Copilot", r"Midjourney",
]  # fmt: skip
_MODEL = re.compile(r"(?<![\w-])(?:" + "|".join(_MODEL_PATTERNS) + r")(?![\w-])")
PEOPLE = [
    "Sam Altman", "Dario Amodei", "Demis Hassabis", "Mark Zuckerberg", "Jensen Huang", "Elon Musk",
    "Satya Nadella", "Sundar Pichai", "Yann LeCun", "Mustafa Suleyman", "Greg Brockman", "Ilya Sutskever",
    "Andrej Karpathy", "Arthur Mensch", "Liang Wenfeng", "Nathaniel Whittemore", "Jony Ive", "Lisa Su",
]  # fmt: skip
_CAPITALISED_PAIR = re.compile(
    r"(?<![\w.])([A-Z][a-z]+(?:-[A-Z][a-z]+)?) ([A-Z][a-z]{2,}(?:-[A-Z][a-z]+)?)(?!\w)"
)
_NOT_NAMES = {
    "The", "This", "That", "These", "Those", "And", "But", "So", "Then", "When", "What", "Why", "How", "If",
    "In", "On", "At", "For", "With", "From", "By", "Of", "To", "It", "We", "They", "He", "She", "You", "I",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February",
    "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
    "AI", "Daily", "Brief", "Today", "Now", "Also", "Still", "First", "Last", "New", "Open", "Closed",
    "Silicon", "Valley", "White", "House", "United", "States", "European", "Union", "Wall", "Street",
}  # fmt: skip

OPEN_TERMS = [
    "open weights", "open-weight", "open weight", "open source", "open-source", "llama", "deepseek",
    "mistral", "qwen", "gemma", "hugging face", "apache 2.0", "permissive license", "run it locally",
    "self-host", "local models", "open model", "open models",
]  # fmt: skip
CLOSED_TERMS = [
    "closed model", "closed models", "closed-source", "closed source", "proprietary", "gpt", "chatgpt",
    "claude", "gemini", "api-only", "behind an api", "walled garden", "frontier lab", "closed weights",
]  # fmt: skip
_OPEN = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(t) for t in OPEN_TERMS) + r")(?![\w-])", re.I)
_CLOSED = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(t) for t in CLOSED_TERMS) + r")(?![\w-])", re.I)

TOPIC_LEXICON = {
    "open source": "Open source", "open weights": "Open weights", "agent": "Agents",
    "regulation": "Regulation",
    "policy": "Policy", "chip": "Chips", "gpu": "Chips", "data center": "Data centers", "funding": "Funding",
    "valuation": "Funding", "benchmark": "Benchmarks", "reasoning": "Reasoning models", "coding": "Coding",
    "safety": "Safety", "jobs": "Jobs", "enterprise": "Enterprise", "energy": "Energy", "robot": "Robotics",
    "copyright": "Copyright", "education": "Education", "china": "China", "video": "Video models",
    "pricing": "Pricing", "price": "Pricing", "search": "Search", "privacy": "Privacy",
}  # fmt: skip


def _dedupe(values: list[str], limit: int) -> list[str]:
    seen: set[str] = set()
    out = []
    for value in values:
        folded = value.casefold()
        if folded not in seen:
            seen.add(folded)
            out.append(value)
    return out[:limit]


def extract_entities(text: str, limit: int = 10) -> Entities:
    """Companies and models from the lexicons, people from a list or repeated capitalised name pairs."""
    company_hits = Counter(COMPANIES[match] for match in _COMPANY.findall(text.lower()))
    companies = [name for name, _ in sorted(company_hits.items(), key=lambda kv: (-kv[1], kv[0]))]
    model_hits = Counter(match.group(0) for match in _MODEL.finditer(text))
    models = [name for name, _ in sorted(model_hits.items(), key=lambda kv: (-kv[1], kv[0]))]
    people_hits: Counter[str] = Counter()
    for person in PEOPLE:
        count = text.count(person)
        if count:
            people_hits[person] += count + 100  # listed people rank first
    pairs = Counter(
        f"{a} {b}" for a, b in _CAPITALISED_PAIR.findall(text) if a not in _NOT_NAMES and b not in _NOT_NAMES
    )
    known = {n.casefold() for n in [*companies, *models]}
    for pair, count in pairs.items():
        parts = pair.casefold().split()
        clash = any(part in name.split() for name in known for part in parts)
        if count >= 2 and not clash and pair not in people_hits:
            people_hits[pair] += count
    people = [name for name, _ in sorted(people_hits.items(), key=lambda kv: (-kv[1], kv[0]))]
    return Entities(_dedupe(companies, limit), _dedupe(models, limit), _dedupe(people, limit))


_GENERIC_TOPICS = frozenset(
    {"open", "closed", "models", "model", "people", "company", "companies", "said", "time"}
)


def extract_topics(text: str, keywords: list[str], limit: int = 6) -> list[str]:
    """Topics from a small lexicon of the show's recurring themes, then the text's strongest keywords."""
    lowered = text.lower()
    hits: Counter[str] = Counter()
    for needle, topic in TOPIC_LEXICON.items():
        hits[topic] += lowered.count(needle)
    topics = [topic for topic, count in sorted(hits.items(), key=lambda kv: (-kv[1], kv[0])) if count >= 2]
    for word in keywords:
        if word in _GENERIC_TOPICS or any(word in topic.casefold() for topic in topics):
            continue
        topics.append(word.capitalize())
    return _dedupe(topics, limit)


@dataclass(frozen=True, slots=True)
class Angle:
    open_mentions: int
    closed_mentions: int
    open_examples: list[str]
    closed_examples: list[str]

    @property
    def lean(self) -> str:
        if self.open_mentions + self.closed_mentions == 0:
            return "none"
        if self.open_mentions >= 2 * max(self.closed_mentions, 1):
            return "open"
        if self.closed_mentions >= 2 * max(self.open_mentions, 1):
            return "closed"
        return "balanced"


def _examples(pattern: re.Pattern[str], text: str) -> tuple[int, list[str]]:
    found = [m.group(0) for m in pattern.finditer(text)]
    counts = Counter(f.lower() for f in found)
    first_spelling: dict[str, str] = {}
    for f in found:
        first_spelling.setdefault(f.lower(), f)
    ranked = sorted(counts, key=lambda k: (-counts[k], k))
    return len(found), [first_spelling[k] for k in ranked[:3]]


def measure_angle(text: str) -> Angle:
    """How much the text talks about open versus closed AI (vocabulary counts, not a judgement)."""
    open_count, open_examples = _examples(_OPEN, text)
    closed_count, closed_examples = _examples(_CLOSED, text)
    return Angle(open_count, closed_count, open_examples, closed_examples)


def describe_angle(angle: Angle) -> str:
    """One sentence on the open-versus-closed angle, derived only from the counts."""
    if angle.lean == "none":
        return "No open-versus-closed angle: the source does not discuss open or closed AI."
    opened = ", ".join(angle.open_examples) or "none"
    closed = ", ".join(angle.closed_examples) or "none"
    summary = {
        "open": "Leans open",
        "closed": "Leans closed",
        "balanced": "Both sides",
    }[angle.lean]
    return (
        f"{summary}: {angle.open_mentions} open-side mentions ({opened}) against "
        f"{angle.closed_mentions} closed-side mentions ({closed})."
    )


DEFAULT_QUESTION = "Open or closed: which kind of AI is winning, judging by this episode?"


def suggest_poll(text: str, angle: Angle, sentences: list[str] | None = None) -> PollSuggestion:
    """A deterministic poll: a question the source itself asks about open/closed AI, else a default."""
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
