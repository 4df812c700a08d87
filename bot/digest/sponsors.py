"""Spoken sponsor reads and show-notes sponsor blocks, found by their shape and cut from a digest's source.

A read is recognised by how ads are read aloud, not by a list of brands: an opener ("today's episode is
brought to you by X", "a word from our sponsor", "support for the show comes from"), then sentences
that talk to the listener about X, up to a call to action (a web address, "go to", a promo code, "free
trial") or a return ("now back to the show"). A run of promotional sentences with a call to action is a
read even without an opener. Show notes' "Brought to you by:" blocks have the same shape, one line each.

Both digest backends read the source only after `strip_sponsor_reads`, so an ad can never become a key
point, a topic, a quote, an entity or evidence for the open-versus-closed angle. Publisher footers
("Powered by …", hosting-platform blurbs) and link tracking are cleaned where feeds are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.digest.sentences import layout_of

_SELF = (
    r"(?:this|today's|todays|tonight's|this week's|the|our) (?:episode|show|podcast|program|newsletter|issue)"
)
_OPENER = re.compile(
    rf"\b(?:{_SELF}(?: is| was|'s)?(?: also)? (?:brought to you|sponsored|supported|presented|"
    r"powered|made possible|underwritten)(?: in part)? by"
    r"|brought to you by"
    r"|(?:a|quick) word from (?:our|today's|this week's|one of our) sponsors?"
    r"|(?:today's|todays|our|this episode's|this week's) (?:first |second |third |last |final )?sponsor"
    r"(?:s)?(?: is| are|,|:)"
    r"|support for (?:this|the) (?:show|podcast|episode) comes from"
    r"|thanks (?:again )?to (?:our|today's) sponsors?"
    r"|(?:let's|we'll|we will) take a (?:quick |short )?(?:break|moment)(?: to thank| to hear| for)?)",
    re.I,
)
#: An opener that names itself an ad (a bare "brought to you by" in the news needs a call to action too).
_EXPLICIT = re.compile(rf"\b(?:{_SELF}|(?:our|today's|this week's) sponsors?\b|word from)", re.I)
_CLOSER = re.compile(
    r"\b(?:back to (?:the |our )?(?:show|episode|story|op-?ed|piece|essay|interview|conversation|"
    r"news|program|headlines)|on with the show|"
    r"and now,? (?:let's get )?(?:back )?(?:to|into) (?:the|today's))\b",
    re.I,
)
_DOMAIN = re.compile(
    r"https?://\S+|\bwww\.\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|ai|io|co|net|org|us|app|dev|fm|so|xyz|"
    r"tv|inc|link|example)\b(?:/\S*)?|\b(?:dot|\.) ?(?:com|ai|io)\b(?: slash)?",
    re.I,
)
_CALL = re.compile(
    r"\b(?:go|head|visit|check(?: them| it)? out|sign up|sign-up|start (?:your|a|for) free|try (?:it|them|"
    r"\w+) (?:free|today|for free)|learn more|book a (?:demo|call)|get started|request (?:a|your)|"
    r"download|find out more|to get (?:your|a|\d+)|claim|apply)\b",
    re.I,
)
_OFFER = re.compile(
    r"\b(?:(?:promo|discount|coupon|offer) code|use (?:the )?code|\d{1,3} ?(?:%|percent) off|free trial|"
    r"first month|limited time|special offer|exclusive offer|for free)\b",
    re.I,
)
_IMPERATIVE = re.compile(
    r"^(?:so,? |just |simply |and )?(?:go|head|visit|check|sign|try|use|start|learn|get|book|request|"
    r"download|find|join|subscribe|claim|apply)\b",
    re.I,
)
_LISTENER = re.compile(r"\b(?:you|your|you're|yourself)\b", re.I)
_LEAD_IN = re.compile(
    r"^(?:quick one|one more (?:quick )?thing|before we (?:go|wrap)|real quick|a quick (?:one|note))\b"
    r"[^.!?]{0,40}[.!?]?$",
    re.I,
)
_BRAND_TAIL = re.compile(r"(?:\bby|\bfrom|\bsponsors?(?: is| are)?[,:]?)\s+(.{1,80}?)(?:[.;!?]|$)", re.I)

READ_MAX = 16  # sentences in one read, opener included
GAP_MAX = 4  # sentences without any sign of the read before it is over
PITCH_MAX = 4  # sentences of a pitch before a call to action that had no opener
CLOSER_WORDS = 14  # a return ("now back to the show") longer than this carries content and is kept


@dataclass(frozen=True, slots=True)
class Stripped:
    """The source without its sponsor reads, the sentences that were removed, and those kept (in order)."""

    text: str
    removed: tuple[str, ...]
    kept: tuple[str, ...] = ()


def is_call_to_action(sentence: str) -> bool:
    """A web address with an imperative, or a promo code/offer: the end of nearly every ad read."""
    if _OFFER.search(sentence):
        return True
    body = sentence.rstrip(".!?\"”') ")
    if "." not in body and " dot " not in body.lower():
        return False  # no web address: the common case, without the address pattern
    has_domain = bool(_DOMAIN.search(sentence))
    return has_domain and (bool(_CALL.search(sentence)) or bool(_IMPERATIVE.search(sentence)))


def is_promotional(sentence: str) -> bool:
    """Any sign of an ad: a call to action, a web address, a call verb, or an offer."""
    return is_call_to_action(sentence) or bool(_DOMAIN.search(sentence)) or bool(_CALL.search(sentence))


def _brands(opener: str) -> list[str]:
    """The names an opener introduces ("brought to you by KPMG, Blitzy and Vanta" gives three)."""
    match = _BRAND_TAIL.search(opener)
    if not match:
        return []
    names = []
    for part in re.split(r",|\band\b|&", match.group(1)):
        words = [w.strip("'’\"“”()") for w in part.split()]
        picked = [w for w in words[:3] if w[:1].isupper() or "." in w]
        if picked:
            names.append(picked[0].split(".")[0].lower())
    return [n for n in names if len(n) >= 3]


def _is_closer(sentence: str) -> bool:
    return bool(_CLOSER.search(sentence)) and len(sentence.split()) <= CLOSER_WORDS


def _read_end(sentences: list[str], start: int, brands: list[str], explicit: bool) -> int | None:
    """The index of the last sentence of the read opened at `start`, or None when it is not a read.

    Signs of the read are a call to action, a web address or the brand's name. An opener that does not
    name itself an ad ("let's take a quick break", a bare "brought to you by" in the news) starts a read
    only once a call to action follows; before that, naming the brand or a web address does not count.
    """
    last_signal = start if explicit else None
    gap = 0
    for index in range(start + 1, min(len(sentences), start + READ_MAX)):
        sentence = sentences[index]
        lowered = sentence.lower()
        if _is_closer(sentence):  # the return ends a read; with no sign of one before it, there was none
            return index if last_signal is not None or is_call_to_action(sentences[start]) else None
        if _OPENER.search(sentence) and _EXPLICIT.search(sentence):
            break  # the next read starts here
        opened = last_signal is not None
        named = any(brand in lowered for brand in brands) or bool(_DOMAIN.search(sentence))
        if is_call_to_action(sentence) or (opened and named):
            last_signal, gap = index, 0
        elif is_promotional(sentence) or _LISTENER.search(sentence):
            gap += 1 if last_signal is not None else 0
        else:
            gap += 1
        if gap > GAP_MAX:
            break
    if last_signal is None and is_call_to_action(sentences[start]):
        return start
    return last_signal


def _domain_brands(sentence: str) -> list[str]:
    """The names behind the web addresses of a call to action ("quillmark.example" gives "quillmark")."""
    names = []
    for match in _DOMAIN.finditer(sentence):
        host = re.sub(r"^(?:https?://)?(?:www\.)?", "", match.group(0).lower())
        label = host.split(".")[0]
        if len(label) >= 4 and label not in ("dot", "com"):
            names.append(label)
    return names


def _promo_runs(sentences: list[str], removed: set[int]) -> None:
    """Calls to action outside any opened read: the sentence, and the pitch for the same brand before it
    (up to `PITCH_MAX` sentences), with a short lead-in ("Quick one before we go.")."""
    for index, sentence in enumerate(sentences):
        if index in removed or not is_call_to_action(sentence):
            continue
        if not (_IMPERATIVE.search(sentence) or _OFFER.search(sentence)):
            continue  # "the paper is at arxiv.org": a link in the news, not an ad
        removed.add(index)
        brands = _domain_brands(sentence)
        back = index - 1
        while back >= 0 and back not in removed and index - back <= PITCH_MAX:
            earlier = sentences[back]
            if not (is_promotional(earlier) or any(brand in earlier.lower() for brand in brands)):
                break
            removed.add(back)
            back -= 1
        if back >= 0 and back not in removed and _LEAD_IN.match(sentences[back]):
            removed.add(back)


def find_reads(sentences: list[str]) -> set[int]:
    """Indices of the sentences that belong to a sponsor read."""
    removed: set[int] = set()
    index = 0
    while index < len(sentences):
        sentence = sentences[index]
        if _OPENER.search(sentence):
            explicit = bool(_EXPLICIT.search(sentence))
            end = _read_end(sentences, index, _brands(sentence), explicit)
            if end is not None:
                removed.update(range(index, end + 1))
                index = end + 1
                continue
        index += 1
    _promo_runs(sentences, removed)
    return removed


def strip_sponsor_reads(text: str) -> Stripped:
    """`text` without its sponsor reads; paragraphs and link-list lines are kept where nothing was cut."""
    layout = layout_of(text)
    flat = [sentence for paragraph in layout for run in paragraph for sentence in run]
    removed = find_reads(flat)
    if not removed:
        return Stripped(text, (), tuple(flat))
    position = 0
    paragraphs: list[str] = []
    for paragraph in layout:
        runs: list[str] = []
        for run in paragraph:
            left = [s for offset, s in enumerate(run, start=position) if offset not in removed]
            position += len(run)
            if left:
                runs.append(" ".join(left))
        if runs:
            paragraphs.append("\n".join(runs))
    kept = tuple(s for i, s in enumerate(flat) if i not in removed)
    return Stripped("\n\n".join(paragraphs), tuple(flat[i] for i in sorted(removed)), kept)
