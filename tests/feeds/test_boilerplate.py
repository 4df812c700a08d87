"""Publisher boilerplate and link tracking, per hosting platform, on item bodies in the platforms' shapes."""

from __future__ import annotations

import pytest

from bot.digest.models import EpisodeInput
from bot.digest.source import choose_source
from bot.feeds.boilerplate import clean_html, clean_link, clean_notes
from bot.feeds.html import html_to_markdown
from tests.feeds.footers import (
    ANCHOR,
    ANCHOR_PLAIN,
    ANCHOR_PLAY_URL,
    ANCHOR_SPONSOR_REDIRECT,
    BEEHIIV,
    PLATFORMS,
)


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_each_platforms_footer_is_removed_and_the_episode_kept(platform: str) -> None:
    html, words, not_shown = PLATFORMS[platform]
    stored = html_to_markdown(html)  # what the store keeps: the footer is still there
    assert any(x.lower() in stored.lower() for x in not_shown)
    shown = clean_notes(stored)
    for expected in words:
        assert expected in shown, (platform, shown)
    for leaked in not_shown:
        assert leaked.lower() not in shown.lower(), (platform, leaked, shown)
    assert clean_html(html) == shown


def test_anchor_sponsor_list_footer_and_redirect_leave_only_the_episode() -> None:
    shown = clean_html(ANCHOR)
    assert shown == (
        "Open-weights labs closed most of the gap on coding benchmarks this week, and the closed labs "
        "answered with price cuts.\n\n"
        "Read the lab's own write-up: [example.org/blog/open-coder](https://example.org/blog/open-coder?id=42)"
        "\n\nThe AI Daily Brief helps you understand the most important news in AI."
    )


def test_anchor_plain_text_footer_glued_to_the_last_sentence() -> None:
    assert clean_notes(ANCHOR_PLAIN) == (
        "We walk through the new chip export rules and what they mean for open models."
    )


def test_beehiiv_backslash_rule_and_powered_by_are_gone_and_links_untracked() -> None:
    stored = html_to_markdown(BEEHIIV)
    assert "\\\n\n---\n\nPowered by [beehiiv]" in stored  # the shape this test is about
    shown = clean_notes(stored)
    assert shown.endswith("Read the announcement [here](https://example.com/news/agents).")


def test_a_sponsor_list_on_one_line_goes_and_the_next_paragraph_stays() -> None:
    text = (
        "Today: the open-weights coding race.\n\n"
        "Brought to you by: KPMG – https://www.kpmg.us/AI, Vanta – https://vanta.com/nlw\n\n"
        "Then a word from the host about next week."
    )
    assert clean_notes(text) == (
        "Today: the open-weights coding race.\n\nThen a word from the host about next week."
    )


def test_ordinary_prose_with_rules_and_the_word_sponsor_is_left_alone() -> None:
    text = (
        "Part one: the lab sponsored by a university released its weights.\n\n---\n\n"
        "Part two: Sponsored by whom? We ask who pays for open models.\n\n"
        "- Support the open-source maintainers: [their fund](https://example.org/fund)"
    )
    assert clean_notes(text) == text
    assert clean_notes(clean_notes(html_to_markdown(ANCHOR))) == clean_html(ANCHOR)  # idempotent


def test_sponsor_redirect_is_unwrapped_to_its_target() -> None:
    assert clean_link(ANCHOR_SPONSOR_REDIRECT) == "https://anchor.fm/app"
    tracked_target = (
        "https://anchor.fm/s/f7cac464/podcast/sponsor/zz9/url/"
        "https%3A%2F%2Fvanta.com%2Fnlw%3Futm_source%3Danchor%26plan%3Dteam"
    )
    assert clean_link(tracked_target) == "https://vanta.com/nlw?plan=team"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://e.com/a?utm_source=x&utm_medium=y&id=3#top", "https://e.com/a?id=3#top"),
        ("https://e.com/a?fbclid=IwAR0&gclid=Cj0&mc_cid=1a&mc_eid=2b", "https://e.com/a"),
        ("https://e.com/a?ref=producthunt&q=open%20weights", "https://e.com/a?q=open%20weights"),
        ("https://e.com/a?b=2&UTM_Campaign=x&a=1", "https://e.com/a?b=2&a=1"),  # order and case kept
        ("https://github.com/o/r/blob/x.py?ref=main", "https://github.com/o/r/blob/x.py?ref=main"),
        ("https://youtu.be/abc?si=Xy12&t=30", "https://youtu.be/abc?t=30"),
        ("https://e.com/a?si=keep", "https://e.com/a?si=keep"),
        ("https://e.com/plain", "https://e.com/plain"),
    ],
)
def test_tracking_parameters_are_dropped_and_the_rest_kept_exactly(url: str, expected: str) -> None:
    assert clean_link(url) == expected


def test_audio_urls_are_never_altered() -> None:
    assert clean_link(ANCHOR_PLAY_URL) == ANCHOR_PLAY_URL
    megaphone = "https://traffic.megaphone.fm/FLM1912687858.mp3?updated=1700000000&utm_source=feed"
    assert clean_link(megaphone) == megaphone


def test_links_in_text_keep_their_trailing_punctuation() -> None:
    text = "See https://e.com/a?utm_source=x. Or <https://e.com/b?ref=nl>, then [c](https://e.com/c?gclid=1)."
    assert clean_notes(text) == "See https://e.com/a. Or <https://e.com/b>, then [c](https://e.com/c)."


async def test_the_digest_source_gets_the_notes_without_boilerplate() -> None:
    stored = html_to_markdown(ANCHOR)
    source = await choose_source(EpisodeInput(key="k", title="Open weights", show_notes_text=stored), None)
    assert source.kind == "show_notes" and source.text == clean_html(ANCHOR)
    issue = await choose_source(
        EpisodeInput(key="n", title="Agents", show_notes_text=BEEHIIV, kind="newsletter"), None
    )
    assert "Three enterprise agent launches" in issue.text
    assert "beehiiv" not in issue.text.lower() and "\\" not in issue.text
    # Notes that are nothing but boilerplate leave the title, as notes-less items do.
    bare = await choose_source(
        EpisodeInput(key="b", title="Bare", show_notes_text="Powered by beehiiv"), None
    )
    assert (bare.kind, bare.text) == ("title", "Bare")


@pytest.mark.parametrize(
    "footer",
    [
        "Hosted on Acast. See acast.com/privacy for more information.",
        "See omnystudio.com/listener for privacy information.",
        "See Privacy Policy at https://art19.com/privacy and California Privacy Notice at "
        "https://art19.com/privacy#do-not-sell-my-info.",
        "Learn more about your ad choices. Visit podcastchoices.com/adchoices",
        "\n\nAdvertising Inquiries: https://redcircle.com/brands\n\nPrivacy & Opt-Out: https://redcircle.com/privacy",
        "\n\nBecome a supporter of this podcast: https://www.spreaker.com/podcast/ai-hour--123/support.",
    ],
)
def test_other_hosts_privacy_and_ad_lines_go_too(footer: str) -> None:
    notes = "Chips, power and the price of training runs."
    assert clean_notes(f"{notes} {footer}") == notes
