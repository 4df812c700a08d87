"""Sponsor and header cutting on any text: never fails, only removes, and is stable once done."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.digest.offline import summarize_offline
from bot.digest.screening import strip_header
from bot.digest.sponsors import strip_sponsor_reads

PIECES = st.sampled_from(
    [
        "Today's episode is brought to you by Ledgerline.",
        "Go to ledgerline.example to book a demo.",
        "Use code BRIEF for 20% off.",
        "Now back to the show.",
        "Let's take a quick break.",
        "Episode Date: February 17, 2025",
        "OpenAI released a new model on Monday.",
        "A bill sponsored by Senator Lopez passed.",
        "The paper is at arxiv.org for anyone.",
        "Brought to you by:",
        "\n\n",
        "\n",
    ]
)
texts = st.one_of(
    st.lists(PIECES, max_size=25).map(" ".join),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
)


def _words(text: str) -> list[str]:
    return text.split()


@settings(max_examples=200, deadline=None, derandomize=True)  # CI stays stable; failures replay
@given(text=texts)
@example(  # a break whose return follows another read's return: a second pass used to cut it too
    text="Let's take a quick break. Today's episode is brought to you by Ledgerline. "
    "Now back to the show. Now back to the show."
)
def test_cutting_only_removes_and_is_stable(text: str) -> None:
    once = strip_sponsor_reads(text)
    assert len(_words(once.text)) <= len(_words(text))
    assert sum(len(_words(s)) for s in once.removed) + len(_words(once.text)) == len(_words(text))
    again = strip_sponsor_reads(once.text)
    assert again.text.split() == once.text.split()
    assert len(_words(strip_header(text))) <= len(_words(text))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(text=texts)
@example(text="Brought to you by: Go to ledgerline.example to book a demo. Now back to the show.")
def test_a_digest_of_any_text_never_shows_the_ad_it_cut(text: str) -> None:
    digest = summarize_offline(text, "T")
    shown = " ".join([digest.tldr, *digest.key_points, digest.quote or "", *digest.topics])
    assert "ledgerline.example" not in shown and "Use code BRIEF" not in shown
