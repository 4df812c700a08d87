"""Named entities with evidence: companies and models from lexicons, people only with person context.

Transcripts come from speech-to-text, so names arrive misspelled ("Dario Amadeh", "Anthropics Clod 3
Opus", "GROC"). A misspelling is mapped to a known name only when it sounds the same (Metaphone) and is
spelled close to it (Jaro-Winkler at least `FUZZY_MIN`), and a model family only when the context says
it is a model (a version or variant right after it, or its maker right before it). A capitalised pair
that is no known name is a person only with person context in its sentence ("X said", "CEO X", "X
argues"). Nothing is invented: every name given is a known name the text approximates, or the text's own
spelling backed by that evidence.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import jellyfish

from bot.digest.models import Entities

FUZZY_MIN = 0.8  # Jaro-Winkler of a sound-alike misspelling to its known name
SPELLING_MIN = 0.93  # Jaro-Winkler alone that counts as the same word (one letter off in a long name)

COMPANIES = {
    "OpenAI": ("OpenAI", "Open AI", "OPENAI"), "Anthropic": ("Anthropic",), "Google": ("Google",),
    "DeepMind": ("DeepMind", "Deep Mind"), "Meta": ("Meta",), "Microsoft": ("Microsoft",),
    "Nvidia": ("Nvidia", "NVIDIA", "Nvidia's"), "Mistral AI": ("Mistral AI",),
    "DeepSeek": ("DeepSeek", "Deepseek", "Deep Seek"), "xAI": ("xAI", "X AI"), "Alibaba": ("Alibaba",),
    "Apple": ("Apple",), "Amazon": ("Amazon",), "Hugging Face": ("Hugging Face", "HuggingFace"),
    "Perplexity": ("Perplexity",), "Cohere": ("Cohere",), "IBM": ("IBM",), "Salesforce": ("Salesforce",),
    "Tesla": ("Tesla",), "AMD": ("AMD",), "Intel": ("Intel",), "TSMC": ("TSMC",),
    "Stability AI": ("Stability AI",), "Moonshot": ("Moonshot AI",), "Zhipu": ("Zhipu",),
    "Cursor": ("Cursor",), "Databricks": ("Databricks",), "Snowflake": ("Snowflake",),
    "Oracle": ("Oracle",), "SoftBank": ("SoftBank", "Softbank"), "Baidu": ("Baidu",),
    "Tencent": ("Tencent",), "ByteDance": ("ByteDance", "Bytedance"), "Huawei": ("Huawei",),
}  # fmt: skip
_COMPANY_OF = {alias: name for name, aliases in COMPANIES.items() for alias in aliases}
_COMPANY = re.compile(
    r"(?<![\w-])("
    + "|".join(re.escape(a) for a in sorted(_COMPANY_OF, key=len, reverse=True))
    + r")(?![\w-])"
)
_MODEL_PATTERNS = [
    r"GPT-?\d(?:\.\d)?(?:[- ]?(?:o|mini|turbo|pro|nano))?", r"ChatGPT", r"[oO][134](?:-(?:mini|pro))?",
    r"Claude Code", r"Claude(?: \d(?:\.\d)?)?(?: (?:Opus|Sonnet|Haiku))?(?: \d(?:\.\d)?)?",
    r"Gemini(?: \d(?:\.\d)?)?(?: (?:Pro|Flash|Ultra))?", r"Llama ?\d(?:\.\d)?", r"Llama",
    r"Mistral(?: (?:Large|Small|Medium)(?: \d(?:\.\d)?)?)?", r"Mixtral", r"Qwen ?\d?(?:\.\d)?",
    r"DeepSeek[- ](?:R\d|V\d(?:\.\d)?)", r"Grok(?: \d)?", r"Gemma(?: \d)?", r"Phi-\d", r"Kimi(?: K\d)?",
    r"Janus[- ]Pro", r"Sora", r"Copilot", r"Midjourney", r"Stable Diffusion",
]  # fmt: skip
_MODEL = re.compile(r"(?<![\w-])(?:" + "|".join(_MODEL_PATTERNS) + r")(?![\w-])")
#: Bare model ids that are a model only when their maker is named in the same text.
_BARE_MODELS = {"R1": "DeepSeek", "R2": "DeepSeek", "V3": "DeepSeek"}
_BARE = re.compile(r"(?<![\w-])(R1|R2|V3)(?![\w-])")
#: Model families, their makers, and what may follow the family name in a model's name.
FAMILIES = {
    "Claude": "Anthropic", "Gemini": "Google", "Llama": "Meta", "Grok": "xAI", "Qwen": "Alibaba",
    "Gemma": "Google", "Mistral": "Mistral AI", "Janus": "DeepSeek",
}  # fmt: skip
_VARIANT = re.compile(
    r"\s*(?:-?\d(?:\.\d)?|Opus|Sonnet|Haiku|Pro|Flash|Ultra|Large|Mini)\b(?: (?:Opus|Sonnet|Haiku))?"
)

PEOPLE = [
    "Sam Altman", "Dario Amodei", "Demis Hassabis", "Mark Zuckerberg", "Jensen Huang", "Elon Musk",
    "Satya Nadella", "Sundar Pichai", "Yann LeCun", "Mustafa Suleyman", "Greg Brockman", "Ilya Sutskever",
    "Andrej Karpathy", "Arthur Mensch", "Liang Wenfeng", "Nathaniel Whittemore", "Jony Ive", "Lisa Su",
    "Marc Andreessen", "Ben Horowitz", "Reid Hoffman", "Clem Delangue", "Mira Murati", "Kevin Weil",
    "Jack Clark", "Gary Marcus", "Geoffrey Hinton", "Yoshua Bengio", "Fei-Fei Li", "Andrew Ng",
    "Aravind Srinivas", "Alexandr Wang", "Masayoshi Son", "David Sacks", "Lina Khan", "Chris Lehane",
]  # fmt: skip
_CAPITALISED_PAIR = re.compile(
    r"(?<![\w.])([A-Z][a-z]+(?:-[A-Z][a-z]+)?) ([A-Z][a-zA-Z]{2,}(?:-[A-Z][a-z]+)?)(?!\w)"
)
_NOT_NAMES = {
    "The", "This", "That", "These", "Those", "And", "But", "So", "Then", "When", "What", "Why", "How", "If",
    "In", "On", "At", "For", "With", "From", "By", "Of", "To", "It", "We", "They", "He", "She", "You", "I",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February",
    "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
    "AI", "Daily", "Brief", "Today", "Now", "Also", "Still", "First", "Last", "New", "Open", "Closed",
    "Silicon", "Valley", "White", "House", "United", "States", "European", "Union", "Wall", "Street",
    "Episode", "Podcast", "Date", "Pro", "Opus", "Sonnet", "Haiku", "Flash", "Ultra", "Act", "Congress",
    "Senate", "Department", "Commerce", "America", "American", "China", "Chinese", "Europe", "Journal",
    "Times", "Post", "News", "Sputnik", "Moment", "Cold", "War", "Manhattan", "Project",
}  # fmt: skip
_SPEECH = (
    r"(?:said|says|argues|argued|wrote|writes|thinks|thought|believes|believed|warned|warns|told|tells|"
    r"claims|claimed|noted|notes|added|adds|posted|tweeted|explained|explains|asked|asks|replied|"
    r"responded|insists|insisted|called|calls|put it|pointed out|points out|countered|counters)"
)
_ROLE = (
    r"(?:CEO|founder|co-founder|cofounder|chief executive|chief scientist|investor|analyst|researcher|"
    r"professor|senator|author|host|president|director|journalist|economist|columnist|venture capitalist|"
    r"partner|chair|chairman|secretary|minister|scientist|engineer|writer|reporter|editor|librarian|"
    r"guest|founder|farmer|teacher|doctor|lawyer|mayor|owner)"
)


@lru_cache(maxsize=4096)
def _sound(word: str) -> str:
    return str(jellyfish.metaphone(word))


@lru_cache(maxsize=16384)
def sounds_like(heard: str, known: str) -> bool:
    """Whether a transcribed word is a misspelling of `known`: same sound and close spelling."""
    a, b = heard.casefold(), known.casefold()
    if a == b:
        return True
    closeness = jellyfish.jaro_winkler_similarity(a, b)
    return closeness >= SPELLING_MIN or (closeness >= FUZZY_MIN and _sound(heard) == _sound(known))


def _person_context(text: str, name: str) -> bool:
    """Whether any sentence around a use of `name` says it is a person (speech, a role, an op-ed)."""
    windows: list[str] = []
    start = text.find(name)
    while start != -1 and len(windows) < 20:
        windows.append(text[max(0, start - 80) : start + len(name) + 80])
        start = text.find(name, start + 1)
    return any(_context_in(window, name) for window in windows)


def _context_in(text: str, name: str) -> bool:
    quoted = re.escape(name)
    patterns = (
        rf"{quoted}(?:'s)?,? (?:[a-z]+ ){{0,2}}{_SPEECH}\b",
        rf"\b{_SPEECH},? {quoted}",
        rf"according to {quoted}",
        rf"\b{_ROLE}(?: of [A-Z][\w.]+| at [A-Z][\w.]+)?,? {quoted}",
        rf"{quoted}, (?:the |a |an |who is |who's )?(?:[A-Za-z-]+ ){{0,3}}{_ROLE}\b",
        rf"{quoted}'s (?:op-?ed|essay|piece|post|argument|column|letter|memo|blog)",
        rf"{quoted}, [^,.]{{1,60}}, {_SPEECH}\b",
    )
    return any(re.search(p, text) for p in patterns)


def _companies(text: str) -> Counter[str]:
    hits = Counter(_COMPANY_OF[m] for m in _COMPANY.findall(text))
    tokens = set(re.findall(r"(?<![\w-])[A-Z][A-Za-z]{4,}(?![\w-])", text))
    for token in tokens - set(_COMPANY_OF):
        stem = token[:-1] if token.endswith("s") else token
        for name in COMPANIES:
            if " " not in name and len(name) >= 6 and stem.casefold() == name.casefold():
                hits[name] += len(re.findall(rf"(?<![\w-]){token}(?![\w-])", text))
    return hits


def _family_models(text: str, companies: Counter[str]) -> Counter[str]:
    """Misheard model families ("Clod 3 Opus", "GROC"): sound-alikes with a variant after or maker before."""
    found: Counter[str] = Counter()
    for match in re.finditer(r"(?<![\w-])([A-Z][A-Za-z]{2,})(?![\w-])", text):
        word = match.group(1)
        for family, maker in FAMILIES.items():
            if word == family or not sounds_like(word, family):
                continue
            variant = _VARIANT.match(text, match.end())
            before = text[max(0, match.start() - 30) : match.start()].casefold()
            maker_before = maker.casefold()[:6] in before and maker in companies
            if variant or maker_before:
                found[family + (variant.group(0).rstrip() if variant else "")] += 1
    return found


def _models(text: str, companies: Counter[str]) -> Counter[str]:
    hits = Counter(m.group(0) for m in _MODEL.finditer(text))
    for match in _BARE.finditer(text):
        bare = match.group(1)
        if _BARE_MODELS[bare] in companies and f"{_BARE_MODELS[bare]} {bare}" not in hits:
            hits[bare] += 1
    hits.update(_family_models(text, companies))
    for family in [name for name in hits if name in FAMILIES]:
        # "Mistral's chief executive" is the company; a bare family beside a named version is that version
        maker = FAMILIES[family]
        if (maker.startswith(family) and maker in companies) or any(
            other != family and other.startswith(family + " ") for other in hits
        ):
            del hits[family]
    return hits


def _known_person(first: str, last: str) -> str | None:
    for person in PEOPLE:
        known_first, _, known_last = person.partition(" ")
        if sounds_like(first, known_first) and sounds_like(last, known_last):
            return person
    return None


def _people(text: str, taken: set[str]) -> Counter[str]:
    hits: Counter[str] = Counter()
    for person in PEOPLE:
        if (count := text.count(person)) > 0:
            hits[person] += count + 100  # named in full: ranks first
    pairs = Counter(m.group(0) for m in _CAPITALISED_PAIR.finditer(text))
    for pair, count in pairs.items():
        first, last = pair.split(" ", 1)
        if pair in hits or first in _NOT_NAMES or last in _NOT_NAMES:
            continue
        if {first.casefold(), last.casefold()} & taken or any(sounds_like(last, f) for f in FAMILIES):
            continue
        known = _known_person(first, last)
        if known is not None:
            hits[known] += count + 50
        elif _person_context(text, pair):
            hits[pair] += count
    return hits


def _ranked(hits: Counter[str], limit: int) -> list[str]:
    out: list[str] = []
    for name, _ in sorted(hits.items(), key=lambda kv: (-kv[1], kv[0])):
        if name.casefold() not in {o.casefold() for o in out}:
            out.append(name)
    return out[:limit]


def extract_entities(text: str, limit: int = 10) -> Entities:
    """Companies, models and people named in `text`, each with evidence (see the module docstring)."""
    companies = _companies(text)
    models = _models(text, companies)
    taken = {word.casefold() for name in (*companies, *models) for word in name.split()}
    people = _people(text, taken)
    return Entities(_ranked(companies, limit), _ranked(models, limit), _ranked(people, limit))
