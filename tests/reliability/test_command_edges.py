"""Edge values for every option of every slash command, delivered to the real bot (see test_command_fuzz)."""

from __future__ import annotations

from typing import Any

from tests.reliability.fuzzing import Fuzz, deliver
from tests.reliability.harness import Leaf, figure, leaf_commands

EDGE_STRINGS = ["", " ", "0", "-1", "9223372036854775808", "1e309", "²", "١٢٣", "\x00", "\u202e", "@everyone",
                "<@&1>", "`", "item:²", "item:99999999999999999999", "x" * 6000]  # fmt: skip


def edge_values(leaf: Leaf, option: dict[str, Any], fuzz: Fuzz) -> list[Any]:
    """Deterministic edge cases for one option (Hypothesis explores around them; these always run)."""
    if option["type"] == 3 and not option.get("choices"):
        low, high = int(option.get("min_length", 0)), int(option.get("max_length", 6000))
        values = [*EDGE_STRINGS, str(fuzz.other.id), "x" * high]
        return [v if len(v) <= high else v[:high] for v in values if low <= len(v)]
    if option["type"] == 4 and not option.get("choices"):
        low, high = option.get("min_value", -(2**53)), option.get("max_value", 2**53)
        return [low, high] + ([0] if low <= 0 <= high else [])
    return []


def test_every_option_survives_edge_values(fuzz: Fuzz) -> None:
    leaves = leaf_commands(fuzz.double.commands())
    failures: dict[str, str] = {}
    tried = 0
    for leaf in leaves:
        base = {o["name"]: example_value(o, fuzz) for o in leaf.options if o.get("required")}
        for option in leaf.options:
            for value in edge_values(leaf, option, fuzz):
                for who in (fuzz.mod, fuzz.member):
                    tried += 1
                    try:
                        fuzz.runner.run(deliver(fuzz, leaf, {**base, option["name"]: value}, who))
                    except AssertionError as exc:
                        failures.setdefault(
                            f"{leaf.name} {option['name']}={str(value)[:30]!r}", str(exc)[:200]
                        )
    assert failures == {}, "\n".join(f"/{name}: {why}" for name, why in failures.items())
    figure("command edge values", f"invocations: {tried}, unhandled errors: 0, pings: 0")


def example_value(option: dict[str, Any], fuzz: Fuzz) -> Any:
    """A valid value for a required option."""
    if option.get("choices"):
        return option["choices"][0]["value"]
    return {3: "podcast", 4: max(1, int(option.get("min_value", 1))), 5: True, 6: fuzz.member,
            7: fuzz.channels[0], 8: fuzz.roles[0], 10: 1.0}[option["type"]]  # fmt: skip
