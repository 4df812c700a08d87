"""Feed HTML (show notes, newsletter issues) to clean Markdown, with markdownify over BeautifulSoup.

Newsletter markup changes over time, so nothing here scrapes a fixed structure: scripts, styles, images,
forms and tracking pixels are dropped, links kept, and whitespace tidied. The result holds no raw HTML.
"""

from __future__ import annotations

import html as htmllib
import re
import unicodedata
import warnings
from typing import Any
from urllib.parse import urlsplit

from bs4 import (
    BeautifulSoup,
    CData,
    Comment,
    Declaration,
    Doctype,
    MarkupResemblesLocatorWarning,
    ProcessingInstruction,
    XMLParsedAsHTMLWarning,
)
from markdownify import MarkdownConverter

_DROP_TAGS = ("script", "style", "noscript", "iframe", "form", "button", "svg", "head", "template", "object")
_TAG_HINT = re.compile(r"<[a-zA-Z/!][^>]*>")
_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_SPACES = re.compile(r"\s+")
_NOT_TEXT = (Comment, CData, Declaration, Doctype, ProcessingInstruction)
_LEFTOVER_TAG = re.compile(r"<(?!https?://)[a-zA-Z!/?][^<>]*>")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
_MASKED_LINK = re.compile(r"\[([^\]\n]*)\]\((https?://[^)\s]+)\)")
_HOST_IN_LABEL = re.compile(r"(?:https?://)?((?:[\w-]+\.)+[a-z]{2,})", re.IGNORECASE)


def defang_masked_links(text: str) -> str:
    """A masked link whose label names another host than its target becomes `label (target)`.

    Discord renders `[label](url)` in embeds: feed text must not show one address and lead to another.
    """

    def fix(match: re.Match[str]) -> str:
        label, href = match.group(1), match.group(2)
        shown = _HOST_IN_LABEL.search(label)
        if shown is None:
            return match.group(0)
        target = (urlsplit(href).hostname or "").lower().removeprefix("www.")
        if shown.group(1).lower().removeprefix("www.") == target:
            return match.group(0)
        return f"{label} ({href})"

    return _MASKED_LINK.sub(fix, text)


def strip_leftover_tags(text: str) -> str:
    """Remove tag-shaped leftovers (escaped markup that decoded into text) outside Markdown code spans."""
    if "<" not in text:
        return text
    parts = []
    last = 0
    for span in _CODE_SPAN.finditer(text):
        parts.append(_strip_tags(text[last : span.start()]))
        parts.append(span.group(0))
        last = span.end()
    parts.append(_strip_tags(text[last:]))
    return "".join(parts)


def _strip_tags(text: str) -> str:
    for _ in range(3):  # removing one tag can join the pieces of another
        stripped = _LEFTOVER_TAG.sub("", text)
        if stripped == text:
            break
        text = stripped
    return text


class _Converter(MarkdownConverter):
    """markdownify with images reduced to their alt text and empty links dropped."""

    def convert_img(self, el: Any, text: str, parent_tags: set[str]) -> str:
        alt = (el.attrs.get("alt") or "").strip()
        return alt if alt and "_inline" not in parent_tags else ""

    def convert_a(self, el: Any, text: str, parent_tags: set[str]) -> str:
        href = (el.get("href") or "").strip()
        label = text.strip()
        if not label:
            return ""
        if not href.lower().startswith(("http://", "https://")) or "_noformat" in parent_tags:
            return text
        if label == href:
            return f"<{href}>"
        return (
            f"[{label.replace('[', '(').replace(']', ')')}]({href.replace(')', '%29').replace(' ', '%20')})"
        )


def clean_text(text: str) -> str:
    """Remove control characters and normalise Unicode so stored text is safe to render."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", text))


def _soup(markup: str) -> BeautifulSoup:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(markup, "html.parser")
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for node in soup.find_all(string=lambda text: isinstance(text, _NOT_TEXT)):
        node.extract()  # comments (Outlook's <!--[if mso]>), CDATA, doctypes, processing instructions
    return soup


def html_to_markdown(markup: str | None) -> str:
    """Markdown for an HTML fragment (or plain text), tidied: at most one blank line between blocks."""
    if not markup:
        return ""
    markup = clean_text(markup)
    if not _TAG_HINT.search(markup):
        paragraphs = re.split(r"\n\s*\n", htmllib.unescape(markup))
        text = "\n\n".join(_SPACES.sub(" ", part).strip() for part in paragraphs)
    else:
        converter = _Converter(
            heading_style="ATX",
            bullets="-",
            escape_underscores=False,
            escape_misc=False,
            wrap=True,
            wrap_width=None,
            newline_style="backslash",
        )
        text = converter.convert_soup(_soup(markup))
    text = _TRAILING_SPACE.sub("\n", strip_leftover_tags(text).replace("\r\n", "\n").replace("\xa0", " "))
    return defang_masked_links(clean_text(_BLANK_LINES.sub("\n\n", text))).strip()


def html_to_line(markup: str | None) -> str:
    """One line of plain text (for titles): tags removed, entities decoded, whitespace collapsed."""
    if not markup:
        return ""
    markup = clean_text(markup)
    text = _soup(markup).get_text(" ") if _TAG_HINT.search(markup) else htmllib.unescape(markup)
    return _SPACES.sub(" ", strip_leftover_tags(clean_text(text))).strip()
