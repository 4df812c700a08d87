"""Combining the digests of a long source's parts: compact them, trim them to fit, group them per request."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from bot.digest.chunking import estimate_tokens
from bot.digest.schema import DigestOut, InvalidOutput, clean_output
from bot.render.text import truncate


class PartialUnusable(ValueError):
    """A part's digest has too little usable text to combine."""


def compact_part(part: DigestOut) -> dict[str, Any]:
    """What the combine step needs of a part, cleaned and trimmed (a part's poll and topics are redone)."""
    try:
        tldr, key_points, _, entities, quote, _, _ = clean_output(part, min_key_points=1)
    except InvalidOutput as exc:
        raise PartialUnusable(str(exc)) from None
    return {"tldr": tldr, "key_points": key_points, "quote": quote, "entities": asdict(entities)}


def shrink_part(partial: dict[str, Any], budget: int) -> dict[str, Any]:
    """Trim a partial digest until any two fit `budget` together: later key points, entities, quote."""
    share = budget // 2 - 4  # the list's brackets and comma, and the estimate's rounding
    while estimate_tokens(json.dumps(partial, ensure_ascii=False)) > share:
        if len(partial["key_points"]) > 1:
            partial["key_points"] = partial["key_points"][:-1]
        elif any(partial["entities"].values()):
            partial["entities"] = {kind: [] for kind in partial["entities"]}
        elif partial["quote"]:
            partial["quote"] = None
        else:
            partial["key_points"] = [truncate(partial["key_points"][0], 200)] if partial["key_points"] else []
            partial["tldr"] = truncate(partial["tldr"], 200)
            break
    return partial


def group_parts(partials: list[dict[str, Any]], budget: int) -> list[list[dict[str, Any]]]:
    """Consecutive partials packed into groups whose JSON fits `budget` tokens.

    After `shrink_part` any two partials fit together: groups hold two or more,
    except a lone last partial when the group before it is a pair that cannot take a third.
    """
    groups: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    for partial in partials:
        candidate = [*current, partial]
        if len(current) >= 2 and not _fits(candidate, budget):
            groups.append(current)
            current = [partial]
        else:
            current = candidate
    if len(current) == 1 and groups:  # a lone last partial: join the previous group if it fits, or take
        joined = [*groups[-1], current[0]]  # its last member along, so no request merges a single part
        if _fits(joined, budget):
            groups[-1], current = joined, []
        elif len(groups[-1]) > 2:
            current = [groups[-1].pop(), current[0]]
    if current:
        groups.append(current)
    return groups


def _fits(group: list[dict[str, Any]], budget: int) -> bool:
    return estimate_tokens(json.dumps(group, ensure_ascii=False)) <= budget
