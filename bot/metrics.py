"""The bot's Prometheus metrics, in a registry of its own (never `prometheus_client`'s global one).

`METRICS` is the one instance of this process; code counts at the point where a thing happens, in one
line (`METRICS.feed_polls.labels(kind=feed.kind, outcome="updated").inc()`). Gauges that describe state
(outbox depth, gateway latency, subscription states) are set at scrape time by the HTTP server
(`bot.ops.server`), from the store and the client, so nothing has to keep them up to date.

Labels are low-cardinality and public: a feed's kind (podcast, newsletter, feed), an outcome, a command's
top-level name. Never a guild, a channel, a user, a feed URL or a title.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

#: Seconds buckets for network calls (feed fetches, hub requests, LLM calls).
REQUEST_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
#: Seconds buckets from a publication to its announcement: seconds (push) to hours (slow polling).
FRESHNESS_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 3600.0, 7200.0, 21600.0, 86400.0)


class Metrics:
    """Every metric the bot exports, registered in `registry`. Tests may build their own instance."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        r = self.registry
        self.feed_polls = Counter(
            "bot_feed_polls", "Feed polls by feed kind and outcome.", ["kind", "outcome"], registry=r
        )
        self.feed_fetch_seconds = Histogram(
            "bot_feed_fetch_seconds", "Time to fetch a feed (any outcome).", ["kind"],
            buckets=REQUEST_BUCKETS, registry=r,
        )  # fmt: skip
        self.feeds = Gauge("bot_feeds", "Active feeds by health status.", ["status"], registry=r)
        self.publish_to_announce_seconds = Histogram(
            "bot_publish_to_announce_seconds",
            "From an item's publication time to its announcement in a server.", ["kind"],
            buckets=FRESHNESS_BUCKETS, registry=r,
        )  # fmt: skip
        self.announcements = Counter(
            "bot_announcements", "Announcement send attempts by outcome.", ["outcome"], registry=r
        )
        self.outbox_depth = Gauge(
            "bot_outbox_depth", "Work waiting in the announcement outbox, by stage.", ["stage"], registry=r
        )
        self.digests = Counter("bot_digests", "Digests made, by backend.", ["backend"], registry=r)
        self.llm_tokens = Counter(
            "bot_llm_tokens", "LLM tokens spent (prompt, completion).", ["direction"], registry=r
        )
        self.llm_request_seconds = Histogram(
            "bot_llm_request_seconds", "Time of one LLM request.", buckets=REQUEST_BUCKETS, registry=r
        )
        self.llm_errors = Counter("bot_llm_errors", "LLM requests that failed.", registry=r)
        self.commands = Counter(
            "bot_commands", "Slash commands by top-level name and outcome (ok, refused, error).",
            ["command", "outcome"], registry=r,
        )  # fmt: skip
        self.gateway_latency_seconds = Gauge(
            "bot_gateway_latency_seconds", "Discord gateway heartbeat latency (NaN before the first).",
            registry=r,
        )  # fmt: skip
        self.gateway_connected = Gauge(
            "bot_gateway_connected", "1 while the Discord gateway is connected and ready.", registry=r
        )
        self.thread_events = Counter(
            "bot_thread_events", "Thread-tracker events by kind.", ["event"], registry=r
        )
        self.polls_closed = Counter("bot_polls_closed", "Polls closed (votes stop counting).", registry=r)
        self.websub_requests = Counter(
            "bot_websub_requests", "(Un)subscription requests to hubs by mode and result.",
            ["mode", "result"], registry=r,
        )  # fmt: skip
        self.websub_notifications = Counter(
            "bot_websub_notifications", "WebSub notifications received, by result.", ["result"], registry=r
        )
        self.websub_subscriptions = Gauge(
            "bot_websub_subscriptions", "WebSub subscriptions by state.", ["state"], registry=r
        )

    def render(self) -> bytes:
        """Everything in the Prometheus text exposition format."""
        return generate_latest(self.registry)


METRICS = Metrics()
