"""Prometheus metrics shared by every service."""

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds", "HTTP request latency", ["service", "method", "route"]
)
OUTBOX_LAG = Gauge("outbox_lag_seconds", "Age of the oldest unpublished outbox row", ["schema"])
OUTBOX_PUBLISHED = Counter("outbox_published_total", "Outbox rows published", ["schema"])
CONSUMER_MESSAGES = Counter(
    "consumer_messages_total", "Messages handled by consumers", ["consumer", "outcome"]
)
CONSUMER_ERRORS = Counter("consumer_errors_total", "Consumer handler errors", ["consumer"])
