"""What a digest may show on its own: no header, date or title line, greeting, ad, question or anaphor.

Show notes and transcripts open with metadata ("Episode: … Episode Date: February 17, 2025"), hosts greet
and sign off, and a sentence that opens on "That line is …" means nothing without the one before it.
These checks are shared by the TL;DR and key-point selection (`bot.digest.selection`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.digest.models import KEY_POINT_LIMIT
from bot.digest.sentences import paragraphs_of, split_sentences
from bot.digest.sponsors import is_call_to_action

BOILERPLATE = re.compile(
    r"\b(subscribe|sponsor|sponsored|brought to you by|promo code|rate (us|the show)|patreon|"
    r"like and share|newsletter sign ?up|unsubscribe|view in browser|https?://)\b",
    re.I,
)
GREETING = re.compile(
    r"^(?:welcome|hello|hi|hey|good (?:morning|evening|afternoon)|what's up|thanks for (?:listening|"
    r"tuning)|that's (?:it|all) for|see you|until next time|peace\b)",
    re.I,
)
_LABEL = re.compile(
    r"\b(?:Episode Date|Air Date|Release Date|Published|Episode|Podcast|Season|Transcript|Duration|Guests?|"
    r"Hosts?|Show Notes)\s*:"
)
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_GLUED_DATE = re.compile(rf"(\b{_MONTH} \d{{1,2}}, \d{{4}})(?=[A-Z][a-z])")
HEADER_WORDS = 60  # a metadata block at the top is short
_DATE_ONLY = re.compile(
    rf"^\W*(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,? )?(?:{_MONTH} \d{{1,2}},? \d{{4}}|"
    r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})\W*$"
)
_ANAPHOR = re.compile(
    r"^(?:(?:and|but|so|yet|or|now|still|because),? )?(?:that|this|these|those|it|its|it's|they|their|"
    r"them|he|she|his|her|which|such|both|neither|another|the latter|the former|the company|the firm|"
    r"the lab|the model|the move|the piece|the report|the deal)\b",
    re.I,
)
_NOT_ANAPHOR = re.compile(
    r"^(?:this|that|these|those) (?:week|weekend|year|month|morning|afternoon|evening|quarter|season|"
    r"episode|show|podcast|newsletter|issue|time)\b",
    re.I,
)


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.casefold()))


def is_header(sentence: str, title: str = "") -> bool:
    """A show-notes header or metadata line, a bare date, or the episode's title repeated."""
    if _LABEL.search(sentence) or _DATE_ONLY.match(sentence):
        return True
    said, named = _normalised(sentence), _normalised(title)
    return bool(named) and len(named.split()) >= 2 and said.startswith(named) and len(said) <= len(named) + 40


def is_anaphoric(sentence: str) -> bool:
    """Opens on a word that points back ("That line is …", "It failed", "This is why …")."""
    return bool(_ANAPHOR.match(sentence)) and not _NOT_ANAPHOR.match(sentence)


def is_candidate(sentence: str, title: str = "") -> bool:
    """A sentence that may be shown as a key point or TL;DR on its own merits."""
    words = sentence.split()
    return (
        8 <= len(words) <= 70
        and 30 <= len(sentence) <= KEY_POINT_LIMIT
        and not sentence.endswith(("?", ":"))
        and not BOILERPLATE.search(sentence)
        and not GREETING.match(sentence)
        and not is_call_to_action(sentence)
        and not is_header(sentence, title)
    )


def lead_sentence(sentences: Sequence[str], title: str = "") -> str | None:
    """The first sentence of a description that says something (no header, greeting, link or question)."""
    for sentence in sentences:
        if is_candidate(sentence, title) and not is_anaphoric(sentence):
            return sentence
    return None


def unglue_header(text: str) -> str:
    """Split a date glued to the next sentence ("February 17, 2025With China's") into its own paragraph."""
    return _GLUED_DATE.sub(r"\1\n\n", text)


def strip_header(text: str) -> str:
    """`text` without the metadata block it may open with ("… Episode: … Episode Date: February 17,
    2025"); a summary glued to the date is split off first and kept. Unchanged text is returned as is."""
    unglued = unglue_header(text)
    paragraphs = paragraphs_of(unglued)
    if not paragraphs or len(paragraphs[0].split()) > HEADER_WORDS:
        return text
    first = paragraphs[0]
    if not any(is_header(sentence) for sentence in split_sentences(first)):
        return text
    return unglued[unglued.index(first) + len(first) :].lstrip()
