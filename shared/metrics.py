"""Prometheus metrics shared by every service (docs/operating.md says what to do when they move)."""

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds", "HTTP request latency", ["service", "method", "route"]
)
ACCESS_TOKENS = Counter(
    "access_tokens_accepted_total",
    "Access tokens accepted: signature checked, or served from the verified-token cache",
    ["how"],
)
OUTBOX_LAG = Gauge("outbox_lag_seconds", "Age of the oldest unpublished outbox row", ["schema"])
OUTBOX_BACKLOG = Gauge("outbox_backlog", "Outbox rows not yet published", ["schema"])
OUTBOX_PUBLISHED = Counter("outbox_published_total", "Outbox rows published", ["schema"])
CONSUMER_MESSAGES = Counter(
    "consumer_messages_total",
    "Messages taken by consumers, by outcome (handled, duplicate, retried, dead_lettered)",
    ["consumer", "outcome"],
)
CONSUMER_ERRORS = Counter("consumer_errors_total", "Consumer handler errors", ["consumer"])
BROKER_CONNECTED = Gauge(
    "broker_connected",
    "1 while the relay or the consumer holds a broker connection",
    ["service", "component"],
)
EMAIL_QUEUE_LENGTH = Gauge("email_queue_length", "Mails waiting to be sent")
EMAIL_OLDEST_UNSENT = Gauge(
    "email_oldest_unsent_seconds", "Age of the oldest mail waiting to be sent"
)
DB_POOL_IN_USE = Gauge("db_pool_in_use", "Database connections in use", ["service"])
DB_POOL_IDLE = Gauge("db_pool_idle", "Database connections open and idle", ["service"])
DB_POOL_MAX = Gauge("db_pool_max", "Largest size of the database pool", ["service"])
DB_POOL_WAITING = Gauge(
    "db_pool_waiting", "Requests waiting for their turn at the database", ["service"]
)
SERVICE_READY = Gauge("service_ready", "1 while /readyz answers 200", ["service", "role"])
SERVICE_DRAINING = Gauge(
    "service_draining", "1 from SIGTERM until the process exits", ["service", "role"]
)
