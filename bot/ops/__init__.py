"""The operators' HTTP surface: health, readiness, Prometheus metrics and the WebSub callback."""
