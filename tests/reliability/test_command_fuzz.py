"""Property-based tests over every slash command's options, through the Discord protocol double.

Hypothesis generates option values (unicode, control characters, overlong and empty strings, ids of other
guilds, mentions, extreme numbers) for every command the bot synced; each example is delivered as a real
interaction to the real bot (every extension loaded), by a moderator or a plain member. For every example:
the bot answers (no unhandled error, no error code), pings nobody, Discord accepts everything it sent, and
a refusal (a `UserFacingError` the bot logged) changed nothing in the database.

The bot and the double run once for the whole module, on an event loop in a background thread, so that
Hypothesis (which drives synchronous tests) can deliver examples to them.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.fuzzing import Fuzz, deliver
from tests.reliability.harness import Leaf, figure, leaf_commands

EXAMPLES = 12


SAMPLES = ["", " ", "@everyone", "<@&1>", "[click](https://evil.example)", "podcast", "0", "-1",
           "99999999999999999999", "'; DROP TABLE items; --", "%s%s%n", "\u202e", "🎙️" * 30]  # fmt: skip


def hostile_text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=min(max_size, 200)),
        st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Co"]), max_size=50),
        st.sampled_from(SAMPLES),
        st.integers(min_value=1, max_value=2**63 - 1).map(str),
        st.just("x" * max_size),
    ).filter(lambda text: min_size <= len(text) <= max_size)  # fmt: skip


def option_strategy(option: dict[str, Any], fuzz: Fuzz) -> st.SearchStrategy[Any]:
    if option.get("choices"):
        return st.sampled_from([c["value"] for c in option["choices"]])
    kind = option["type"]
    if kind == 3:
        return hostile_text(int(option.get("min_length", 0)), int(option.get("max_length", 6000)))
    if kind == 4:
        low, high = option.get("min_value", -(2**53)), option.get("max_value", 2**53)
        return st.one_of(st.integers(low, high), st.sampled_from([low, high]))
    if kind == 5:
        return st.booleans()
    if kind == 6:
        return st.sampled_from([fuzz.mod, fuzz.member])
    if kind == 7:
        allowed = option.get("channel_types")
        usable = [c for c in fuzz.channels if not allowed or int(c.type) in allowed]
        return st.sampled_from(usable or fuzz.channels)
    if kind == 8:
        return st.sampled_from([*fuzz.roles, fuzz.guild.everyone_role])
    if kind == 10:
        low, high = option.get("min_value", -1e15), option.get("max_value", 1e15)
        return st.floats(low, high, allow_nan=False, allow_infinity=False)
    return st.nothing()


def options_strategy(leaf: Leaf, fuzz: Fuzz) -> st.SearchStrategy[dict[str, Any]]:
    required = {o["name"]: option_strategy(o, fuzz) for o in leaf.options if o.get("required")}
    optional = {o["name"]: option_strategy(o, fuzz) for o in leaf.options if not o.get("required")}
    optional = {k: v for k, v in optional.items() if v is not st.nothing()}
    return st.fixed_dictionaries(required, optional=optional)  # type: ignore[arg-type]


def test_every_command_survives_generated_options(fuzz: Fuzz) -> None:
    leaves = leaf_commands(fuzz.double.commands())
    assert len(leaves) >= 25
    failures: dict[str, str] = {}
    for leaf in leaves:
        try:
            fuzz_one(fuzz, leaf)
        except AssertionError as exc:  # every command is fuzzed; all the failures are reported at once
            failures[leaf.name] = str(exc).splitlines()[0][-400:]
    assert failures == {}, "\n".join(f"/{name}: {why}" for name, why in failures.items())
    assert fuzz.stats["refused"] > 0 and fuzz.stats["accepted"] > 0  # both paths were exercised
    fuzz.double.assert_no_errors()  # Discord accepted every message, edit and reply the bot sent
    figure(
        "command fuzz",
        f"commands: {len(leaves)}, generated invocations: {fuzz.stats['examples']} "
        f"({fuzz.stats['refused']} refused with a clear message and no state change, "
        f"{fuzz.stats['accepted']} accepted), unhandled errors: 0, pings: 0, requests Discord refused: 0",
    )


def fuzz_one(fuzz: Fuzz, leaf: Leaf) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,  # the same examples on every run: CI stays stable, failures replay
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(options=options_strategy(leaf, fuzz), as_mod=st.booleans())
    def check(options: dict[str, Any], as_mod: bool) -> None:
        fuzz.runner.run(deliver(fuzz, leaf, options, fuzz.mod if as_mod else fuzz.member))
        fuzz.stats["examples"] += 1

    check()
