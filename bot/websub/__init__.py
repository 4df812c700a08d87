"""WebSub push: subscribe to the hubs feeds declare, verify what hubs send, ingest a feed on notification.

`signature` checks `X-Hub-Signature`; `subscriber.WebSubService` runs the subscriptions (subscribe, renew,
unsubscribe, verify the hub's intent challenge, accept notifications). The HTTP callback itself is served by
`bot.ops.server`; the Discord side (the reconcile loop) is `cogs.websub`.
"""
