-- Notifications: an email outbox filled by the event consumers and drained by the sender loop.
-- Only user ids, the template kind and non-personal event data are stored here: names, addresses,
-- phones and emails are fetched from accounts when a mail is sent, and never written down.

CREATE TABLE email_outbox (
    id               bigserial PRIMARY KEY,
    event_id         uuid NOT NULL,
    recipient_id     uuid NOT NULL,
    kind             text NOT NULL,
    -- The other person the mail is about (delivery pairing), so erasure finds it too.
    related_user_id  uuid,
    group_id         uuid,
    context          jsonb NOT NULL DEFAULT '{}'::jsonb,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sent', 'dropped')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    -- The second guard after the inbox: one mail per (event, recipient, kind).
    CONSTRAINT email_outbox_once UNIQUE (event_id, recipient_id, kind)
);
CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX email_outbox_recipient ON email_outbox (recipient_id);
CREATE INDEX email_outbox_related ON email_outbox (related_user_id)
    WHERE related_user_id IS NOT NULL;

-- A mail to "every member of a group" (distribution opened, closing reminder, coordinators told
-- of a withdrawal): expanded by the sender into email_outbox rows once the member list is known.
CREATE TABLE fanouts (
    id               bigserial PRIMARY KEY,
    event_id         uuid NOT NULL,
    kind             text NOT NULL,
    group_id         uuid NOT NULL,
    audience         text NOT NULL CHECK (audience IN ('members', 'members_without_order',
                                                       'coordinators')),
    context          jsonb NOT NULL DEFAULT '{}'::jsonb,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expanded_at      timestamptz,
    recipients       integer,
    CONSTRAINT fanouts_once UNIQUE (event_id, kind)
);
CREATE INDEX fanouts_due ON fanouts (next_attempt_at) WHERE status = 'pending';

-- What the mails say about a distribution (from ordering's distribution events).
CREATE TABLE distributions (
    distribution_id  uuid PRIMARY KEY,
    group_id         uuid NOT NULL,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    opens_at         timestamptz NOT NULL,
    closes_at        timestamptz NOT NULL,
    place_name       text NOT NULL,
    place_address    text NOT NULL,
    -- Time of the event that wrote the row: an older event never overwrites a newer one.
    event_time       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX distributions_closing ON distributions (closes_at);

-- Who has an order for a distribution (ids only): the closing reminder skips them.
CREATE TABLE orders (
    distribution_id  uuid NOT NULL,
    user_id          uuid NOT NULL,
    PRIMARY KEY (distribution_id, user_id)
);
CREATE INDEX orders_user ON orders (user_id);

-- Current volunteer of each delivery request (ids only), to tell them when it is cancelled.
CREATE TABLE assignments (
    request_id       uuid PRIMARY KEY,
    distribution_id  uuid NOT NULL,
    group_id         uuid NOT NULL,
    requester_id     uuid NOT NULL,
    volunteer_id     uuid NOT NULL
);
CREATE INDEX assignments_requester ON assignments (requester_id);
CREATE INDEX assignments_volunteer ON assignments (volunteer_id);

-- One reminder per distribution, whichever replica gets there first.
CREATE TABLE reminders_sent (
    distribution_id  uuid PRIMARY KEY,
    scheduled_at     timestamptz NOT NULL DEFAULT now()
);

-- Development mail sink (NOTIFICATIONS_DEV_MODE=true): every message it receives.
CREATE TABLE sink_messages (
    id           bigserial PRIMARY KEY,
    received_at  timestamptz NOT NULL DEFAULT now(),
    mail_from    text NOT NULL,
    rcpt_tos     text[] NOT NULL,
    subject      text,
    raw          bytea NOT NULL
);
