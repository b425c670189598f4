"""ALL the SQL of the notifications schema (search_path is the schema), by area:
`mail` (the email outbox and the "to every member" fan-outs), `events` (what the consumers keep:
distributions, orders, pairings, reminders), `personal` (erasure, export, retention) and `sink`
(the development mail sink). Functions take a `Connection` and return typed values."""

from services.notifications.repository.events import (
    claim_reminder,
    distributions_needing_reminder,
    get_distribution,
    record_order,
    remove_assignment,
    save_assignment,
    upsert_distribution,
    users_with_order,
)
from services.notifications.repository.mail import (
    Fanout,
    JsonObject,
    MailQueueState,
    QueuedMail,
    claim_due_fanout,
    claim_due_mail,
    expand_fanout,
    fanout_retry,
    mail_queue_state,
    mark_dropped,
    mark_retry,
    mark_sent,
    queue_fanout,
    queue_mail,
)
from services.notifications.repository.sink import (
    SinkMessage,
    get_sink_message,
    list_sink_messages,
    store_sink_message,
)

__all__ = [
    "Fanout",
    "JsonObject",
    "MailQueueState",
    "QueuedMail",
    "SinkMessage",
    "claim_due_fanout",
    "claim_due_mail",
    "claim_reminder",
    "distributions_needing_reminder",
    "expand_fanout",
    "fanout_retry",
    "get_distribution",
    "get_sink_message",
    "list_sink_messages",
    "mail_queue_state",
    "mark_dropped",
    "mark_retry",
    "mark_sent",
    "queue_fanout",
    "queue_mail",
    "record_order",
    "remove_assignment",
    "save_assignment",
    "store_sink_message",
    "upsert_distribution",
    "users_with_order",
]
