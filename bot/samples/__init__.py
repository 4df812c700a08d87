"""Sample data shipped with the bot, labelled as samples wherever it is shown."""

from __future__ import annotations

from pathlib import Path

SAMPLE_FEED = Path(__file__).resolve().parent / "sample_feed.xml"
SAMPLE_LABEL = "SAMPLE: an offline example, not the real feed"
