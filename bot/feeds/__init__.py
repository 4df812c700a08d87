"""Feed ingestion: the guarded fetcher, parsing and normalization, item identity, the polling worker.

`fetch` talks to the network (behind the SSRF guard of `ssrf`), `parse` turns bytes into `ParsedFeed`s
(feedparser plus an XML pass of our own for the podcast namespace), `identity` decides what an item is,
and `worker` runs the polling cycle against the store (`bot.store.feeds.FeedRepo`).
"""
