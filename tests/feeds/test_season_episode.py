"""Podcasting 2.0 `podcast:season` / `podcast:episode`, read by our XML pass and preferred over iTunes."""

from __future__ import annotations

import pytest

from bot.feeds.models import episode_label as label_of
from bot.feeds.parse import parse_bytes
from tests.feeds.builders import Item, rss


def parsed(**fields: object) -> tuple[int | None, int | None, str | None]:
    feed, _ = parse_bytes(rss([Item(guid="g", title="An episode", **fields)]))  # type: ignore[arg-type]
    item = feed.items[0]
    return item.season, item.episode_number, item.episode_display


def test_podcast_namespace_season_and_episode_are_read() -> None:
    # The namespace's own example shape: a season with a name, an episode number.
    extra = (
        '<podcast:season name="Race for the Whitehouse 2020">3</podcast:season>'
        "<podcast:episode>7</podcast:episode>"
    )
    assert parsed(extra=extra) == (3, 7, None)


@pytest.mark.parametrize("podcast_first", [True, False])
def test_the_podcast_namespace_wins_over_itunes_wherever_it_stands(podcast_first: bool) -> None:
    podcast = "<podcast:season>2</podcast:season><podcast:episode>3</podcast:episode>"
    itunes = "<itunes:season>9</itunes:season><itunes:episode>99</itunes:episode>"
    assert parsed(extra=podcast + itunes if podcast_first else itunes + podcast) == (2, 3, None)


def test_itunes_tags_alone_still_count() -> None:
    assert parsed(season=1, episode=12) == (1, 12, None)


def test_display_label_and_decimal_episodes_are_kept() -> None:
    assert parsed(extra='<podcast:episode display="Ch. 3">3</podcast:episode>') == (None, 3, "Ch. 3")
    assert parsed(extra="<podcast:episode>204.5</podcast:episode>", episode=204) == (None, 204, "204.5")
    assert parsed(extra="<podcast:episode>not a number</podcast:episode>", episode=5) == (None, 5, None)


def test_labels_members_read() -> None:
    assert label_of(2, 3) == "Season 2 · Episode 3"
    assert label_of(None, 3) == "Episode 3"
    assert label_of(2, None) == "Season 2"
    assert label_of(2, 3, "Ch. 3") == "Season 2 · Ch. 3"
    assert label_of(None, 204, "204.5") == "Episode 204.5"
    assert label_of(None, None) is None
