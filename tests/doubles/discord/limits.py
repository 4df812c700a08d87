"""Discord's documented request limits, checked the way the API does (400 50035 Invalid Form Body).

Each ``check_*`` function adds to a :class:`FormErrors`; the caller raises once all fields are checked,
so one response can list several problems, as Discord's does.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from .constants import MessageFlags
from .errors import FormErrors

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
ACTION_ROWS_MAX = 5
ROW_BUTTONS_MAX = 5
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
SELECT_OPTIONS_MAX = 25
CHANNEL_NAME_MAX = 100
POLL_QUESTION_MAX = 300
POLL_ANSWERS_MAX = 10
POLL_ANSWER_MAX = 55
POLL_DURATION_MAX_HOURS = 768  # 32 days
NONCE_MAX = 25
ATTACHMENT_DESCRIPTION_MAX = 1024
CHOICES_MAX = 25
MODAL_TITLE_MAX = 45
TEXT_INPUT_MAX = 4000

Path = tuple[str | int, ...]
SELECT_TYPES = (3, 5, 6, 7, 8)


def check_url(errors: FormErrors, path: Path, url: Any, *, attachment_ok: bool = False) -> None:
    if url is None:
        return
    schemes = ("http", "https", "attachment") if attachment_ok else ("http", "https")
    if not isinstance(url, str) or urlparse(url).scheme not in schemes:
        errors.add(path, "URL_TYPE_INVALID_SCHEME", f"Scheme {url!r} must be one of {schemes}.")


def embed_text_length(embed: dict[str, Any]) -> int:
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for fld in embed.get("fields") or []:
        total += len(fld.get("name") or "") + len(fld.get("value") or "")
    return total


def check_embeds(errors: FormErrors, embeds: Any, path: Path = ("embeds",)) -> None:
    if embeds is None:
        return
    if not isinstance(embeds, list):
        errors.add(path, "BASE_TYPE_LIST", "Must be a list.")
        return
    errors.max_items(path, embeds, EMBEDS_MAX)
    total = 0
    for index, embed in enumerate(embeds):
        at = (*path, index)
        errors.max_length((*at, "title"), embed.get("title"), EMBED_TITLE_MAX)
        errors.max_length((*at, "description"), embed.get("description"), EMBED_DESCRIPTION_MAX)
        check_url(errors, (*at, "url"), embed.get("url"))
        color = embed.get("color")
        if color is not None and not (isinstance(color, int) and 0 <= color <= 0xFFFFFF):
            errors.add(
                (*at, "color"), "NUMBER_TYPE_MAX", "int value should be less than or equal to 16777215."
            )
        fields = embed.get("fields") or []
        errors.max_items((*at, "fields"), fields, EMBED_FIELDS_MAX)
        for findex, fld in enumerate(fields):
            fat = (*at, "fields", findex)
            errors.length_between((*fat, "name"), fld.get("name"), 1, EMBED_FIELD_NAME_MAX)
            errors.length_between((*fat, "value"), fld.get("value"), 1, EMBED_FIELD_VALUE_MAX)
        footer = embed.get("footer")
        if footer is not None:
            errors.length_between((*at, "footer", "text"), footer.get("text"), 1, EMBED_FOOTER_MAX)
            check_url(errors, (*at, "footer", "icon_url"), footer.get("icon_url"), attachment_ok=True)
        author = embed.get("author")
        if author is not None:
            errors.length_between((*at, "author", "name"), author.get("name"), 1, EMBED_AUTHOR_MAX)
            check_url(errors, (*at, "author", "url"), author.get("url"))
            check_url(errors, (*at, "author", "icon_url"), author.get("icon_url"), attachment_ok=True)
        for media in ("image", "thumbnail"):
            if embed.get(media) is not None:
                check_url(errors, (*at, media, "url"), embed[media].get("url"), attachment_ok=True)
        total += embed_text_length(embed)
    if total > EMBED_TOTAL_MAX:
        errors.add(path, "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}")


def _check_button(errors: FormErrors, path: Path, button: dict[str, Any], seen: set[str]) -> None:
    style = button.get("style")
    if style not in (1, 2, 3, 4, 5, 6):
        errors.add((*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3, 4, 5, 6).")
        return
    errors.max_length((*path, "label"), button.get("label"), BUTTON_LABEL_MAX)
    if style == 5:
        if not button.get("url"):
            errors.add((*path, "url"), "BASE_TYPE_REQUIRED", "This field is required")
        if button.get("custom_id") is not None:
            errors.add(
                (*path, "custom_id"), "COMPONENT_INVALID_CUSTOM_ID", "Link buttons cannot have a custom_id"
            )
        check_url(errors, (*path, "url"), button.get("url"))
    elif style != 6:
        _check_custom_id(errors, path, button.get("custom_id"), seen)
    if style != 6 and not button.get("label") and not button.get("emoji"):
        errors.add(path, "BUTTON_COMPONENT_INVALID", "A button must have a label or an emoji")


def _check_custom_id(errors: FormErrors, path: Path, custom_id: Any, seen: set[str]) -> None:
    errors.length_between((*path, "custom_id"), custom_id, 1, CUSTOM_ID_MAX)
    if isinstance(custom_id, str):
        if custom_id in seen:
            errors.add(
                (*path, "custom_id"),
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        seen.add(custom_id)


def _check_select(errors: FormErrors, path: Path, select: dict[str, Any], seen: set[str]) -> None:
    _check_custom_id(errors, path, select.get("custom_id"), seen)
    errors.max_length((*path, "placeholder"), select.get("placeholder"), 150)
    low, high = select.get("min_values", 1), select.get("max_values", 1)
    if not (isinstance(low, int) and 0 <= low <= 25):
        errors.add((*path, "min_values"), "NUMBER_TYPE_MAX", "int value should be between 0 and 25.")
    if not (isinstance(high, int) and 1 <= high <= 25):
        errors.add((*path, "max_values"), "NUMBER_TYPE_MAX", "int value should be between 1 and 25.")
    if select.get("type") == 3:
        options = select.get("options") or []
        if not 1 <= len(options) <= SELECT_OPTIONS_MAX:
            errors.add((*path, "options"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length.")
        for index, option in enumerate(options):
            errors.length_between((*path, "options", index, "label"), option.get("label"), 1, 100)
            errors.length_between((*path, "options", index, "value"), option.get("value"), 1, 100)
            errors.max_length((*path, "options", index, "description"), option.get("description"), 100)
        if isinstance(high, int) and options and high > len(options):
            errors.add(
                (*path, "max_values"), "SELECT_COMPONENT_MAX_VALUES_EXCEEDED", "max_values exceeds options"
            )


def _check_v2(errors: FormErrors, path: Path, items: list[dict[str, Any]], seen: set[str]) -> int:
    count = 0
    for index, item in enumerate(items):
        at = (*path, index)
        count += 1
        kind = item.get("type")
        if kind == 2:
            _check_button(errors, at, item, seen)
        elif kind in SELECT_TYPES:
            _check_select(errors, at, item, seen)
        elif kind == 10:
            errors.length_between((*at, "content"), item.get("content"), 1, TEXT_INPUT_MAX)
        for key in ("components",):
            count += _check_v2(errors, (*at, key), item.get(key) or [], seen)
        if isinstance(item.get("accessory"), dict):
            count += _check_v2(errors, (*at, "accessory"), [item["accessory"]], seen)
    return count


def check_components(errors: FormErrors, components: Any, flags: int, path: Path = ("components",)) -> None:
    if components is None:
        return
    if not isinstance(components, list):
        errors.add(path, "BASE_TYPE_LIST", "Must be a list.")
        return
    seen: set[str] = set()
    if flags & MessageFlags.IS_COMPONENTS_V2:
        if _check_v2(errors, path, components, seen) > 40:
            errors.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 40 or fewer in total components.")
        return
    errors.max_items(path, components, ACTION_ROWS_MAX)
    for index, row in enumerate(components):
        at = (*path, index)
        if row.get("type") != 1:
            errors.add(
                (*at, "type"), "UNION_TYPE_CHOICES", "Top-level components must be action rows (type 1)."
            )
            continue
        children = row.get("components") or []
        if not children or len(children) > ROW_BUTTONS_MAX:
            errors.add((*at, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
        has_select = any(child.get("type") in SELECT_TYPES for child in children)
        if has_select and len(children) > 1:
            errors.add(
                (*at, "components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        for cindex, child in enumerate(children):
            if child.get("type") == 2:
                _check_button(errors, (*at, "components", cindex), child, seen)
            elif child.get("type") in SELECT_TYPES:
                _check_select(errors, (*at, "components", cindex), child, seen)
            else:
                errors.add(
                    (*at, "components", cindex, "type"), "UNION_TYPE_CHOICES", "Invalid component type."
                )


def check_poll(errors: FormErrors, poll: Any, path: Path = ("poll",)) -> None:
    if poll is None:
        return
    question = (poll.get("question") or {}).get("text")
    errors.length_between((*path, "question", "text"), question, 1, POLL_QUESTION_MAX)
    answers = poll.get("answers")
    if not isinstance(answers, list) or not 1 <= len(answers) <= POLL_ANSWERS_MAX:
        errors.add(
            (*path, "answers"), "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {POLL_ANSWERS_MAX} in length."
        )
        answers = answers if isinstance(answers, list) else []
    for index, answer in enumerate(answers):
        text = (answer.get("poll_media") or {}).get("text")
        errors.length_between((*path, "answers", index, "poll_media", "text"), text, 1, POLL_ANSWER_MAX)
    duration = poll.get("duration", 24)
    if not isinstance(duration, int | float) or not 1 <= duration <= POLL_DURATION_MAX_HOURS:
        errors.add(
            (*path, "duration"),
            "NUMBER_TYPE_MAX",
            f"Duration must be between 1 and {POLL_DURATION_MAX_HOURS} hours.",
        )
    if poll.get("layout_type", 1) != 1:
        errors.add((*path, "layout_type"), "BASE_TYPE_CHOICES", "Value must be one of (1,).")


def check_allowed_mentions(errors: FormErrors, allowed: Any, path: Path = ("allowed_mentions",)) -> None:
    if allowed is None:
        return
    parse = allowed.get("parse") or []
    for index, kind in enumerate(parse):
        if kind not in ("users", "roles", "everyone"):
            errors.add(
                (*path, "parse", index),
                "BASE_TYPE_CHOICES",
                "Value must be one of ('roles', 'users', 'everyone').",
            )
    for kind in ("users", "roles"):
        if kind in parse and allowed.get(kind):
            errors.add(
                (*path, "parse"),
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids] are mutually exclusive.',
            )
        errors.max_items((*path, kind), allowed.get(kind), 100)


def check_message(errors: FormErrors, payload: dict[str, Any], prefix: Path = ()) -> None:
    """All per-field message limits (content, embeds, components, poll, nonce, attachments, mentions)."""
    content = payload.get("content")
    if content is not None and not isinstance(content, str):
        errors.add((*prefix, "content"), "BASE_TYPE_STRING", "Must be a string.")
    errors.max_length((*prefix, "content"), content, CONTENT_MAX)
    check_embeds(errors, payload.get("embeds"), (*prefix, "embeds"))
    flags = payload.get("flags") or 0
    check_components(errors, payload.get("components"), flags, (*prefix, "components"))
    if flags & MessageFlags.IS_COMPONENTS_V2 and (payload.get("content") or payload.get("embeds")):
        errors.add(
            (*prefix, "content"),
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
            "The 'content' and 'embeds' fields cannot be used when using MessageFlags.IS_COMPONENTS_V2",
        )
    check_poll(errors, payload.get("poll"), (*prefix, "poll"))
    check_allowed_mentions(errors, payload.get("allowed_mentions"), (*prefix, "allowed_mentions"))
    nonce = payload.get("nonce")
    if nonce is not None and len(str(nonce)) > NONCE_MAX:
        errors.add((*prefix, "nonce"), "BASE_TYPE_MAX_LENGTH", f"Must be {NONCE_MAX} or fewer in length.")
    for index, attachment in enumerate(payload.get("attachments") or []):
        errors.max_length(
            (*prefix, "attachments", index, "description"),
            attachment.get("description"),
            ATTACHMENT_DESCRIPTION_MAX,
        )
    errors.max_items((*prefix, "sticker_ids"), payload.get("sticker_ids"), 3)


def check_name(errors: FormErrors, path: Path, name: Any, *, required: bool = True) -> None:
    """Channel and thread names: 1-100 characters."""
    if name is None and not required:
        return
    errors.length_between(path, name, 1, CHANNEL_NAME_MAX)


def check_choices(errors: FormErrors, choices: Any, path: Path = ("data", "choices")) -> None:
    if not isinstance(choices, list):
        errors.add(path, "BASE_TYPE_LIST", "Must be a list.")
        return
    errors.max_items(path, choices, CHOICES_MAX)
    for index, choice in enumerate(choices):
        errors.length_between((*path, index, "name"), choice.get("name"), 1, 100)
        value = choice.get("value")
        if isinstance(value, str):
            errors.max_length((*path, index, "value"), value, 100)
        elif not isinstance(value, int | float) or isinstance(value, bool):
            errors.add((*path, index, "value"), "BASE_TYPE_REQUIRED", "This field is required")


def check_modal(errors: FormErrors, modal: Any, path: Path = ("data",)) -> None:
    if not isinstance(modal, dict):
        errors.add(path, "BASE_TYPE_REQUIRED", "This field is required")
        return
    errors.length_between((*path, "title"), modal.get("title"), 1, MODAL_TITLE_MAX)
    errors.length_between((*path, "custom_id"), modal.get("custom_id"), 1, CUSTOM_ID_MAX)
    components = modal.get("components") or []
    if not 1 <= len(components) <= 5:
        errors.add((*path, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
    seen: set[str] = set()
    for index, item in enumerate(components):
        at = (*path, "components", index)
        inner = item.get("components") or (
            [item["component"]] if isinstance(item.get("component"), dict) else []
        )
        if item.get("type") == 18:
            errors.length_between((*at, "label"), item.get("label"), 1, MODAL_TITLE_MAX)
        for cindex, child in enumerate(inner):
            cat = (*at, "component" if item.get("type") == 18 else "components", cindex)
            if child.get("type") == 4:
                _check_custom_id(errors, cat, child.get("custom_id"), seen)
                errors.max_length((*cat, "value"), child.get("value"), TEXT_INPUT_MAX)
                errors.max_length((*cat, "placeholder"), child.get("placeholder"), 100)
                errors.max_length((*cat, "label"), child.get("label"), MODAL_TITLE_MAX)
            elif child.get("type") in SELECT_TYPES:
                _check_select(errors, cat, child, seen)
