"""One number for the daily cap: the code's defaults, `.env.example` and every page that names it agree."""

from __future__ import annotations

import re
from pathlib import Path

from bot.announce.models import DEFAULT_DAILY_CAP, ChannelKind, Subscription
from bot.settings import Settings
from bot.timeutil import utcnow

ROOT = Path(__file__).resolve().parents[2]
# "default 20", "defaults to the same 20", "at most 20 new items", "FEED_DAILY_CAP=20"
_CAP_NUMBER = re.compile(
    r"(?:default(?:s to the same)?|at most|FEED_DAILY_CAP=)\s*(\d+)(?=[\s.;,)]| per| new)", re.I
)


def _cap_numbers(path: Path) -> list[int]:
    numbers = []
    for line in path.read_text().splitlines():
        if "cap" in line.lower():
            numbers += [int(n) for n in _CAP_NUMBER.findall(line)]
    return numbers


def test_the_per_server_default_is_the_feed_wide_default() -> None:
    truth = Settings.model_fields["feed_daily_cap"].default
    sub = Subscription(
        id=1, guild_id=1, feed_id=1, channel_id=1, channel_kind=ChannelKind.TEXT, ping_role_id=None,
        threads_enabled=True, auto_archive_minutes=1440, daily_cap=None, forum_tag_id=None, paused=False,
        pause_reason=None, paused_by=None, paused_at=None, created_at=utcnow(), updated_at=utcnow(),
    )  # fmt: skip
    assert sub.effective_daily_cap == DEFAULT_DAILY_CAP == truth


def test_every_page_names_the_same_daily_cap() -> None:
    truth = Settings.model_fields["feed_daily_cap"].default
    pages = [ROOT / ".env.example", ROOT / "docs" / "announcements.md", ROOT / "docs" / "feeds.md"]
    found = {page.name: _cap_numbers(page) for page in pages}
    assert all(found.values()), f"a page no longer names the cap: {found}"
    assert {n for numbers in found.values() for n in numbers} == {truth}, found
