-- Logistics: distributions (from ordering's events), 15-minute pickup slots, bookings,
-- pickup choices with consent, delivery requests and their volunteer.

CREATE TABLE distributions (
    id               uuid PRIMARY KEY,
    group_id         uuid NOT NULL,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    opens_at         timestamptz NOT NULL,
    closes_at        timestamptz NOT NULL,
    state            text NOT NULL DEFAULT 'scheduled'
                     CHECK (state IN ('scheduled', 'open', 'closed')),
    default_capacity integer NOT NULL CHECK (default_capacity BETWEEN 0 AND 500),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX distributions_group ON distributions (group_id);

CREATE TABLE slots (
    id                uuid PRIMARY KEY,
    distribution_id   uuid NOT NULL REFERENCES distributions (id) ON DELETE CASCADE,
    starts_at         timestamptz NOT NULL,
    ends_at           timestamptz NOT NULL,
    capacity          integer NOT NULL CHECK (capacity BETWEEN 0 AND 500),
    capacity_override integer CHECK (capacity_override BETWEEN 0 AND 500),
    booked            integer NOT NULL DEFAULT 0,
    -- The backstop: whatever the code does, a slot never holds more bookings than its capacity.
    CONSTRAINT slot_not_overbooked CHECK (booked >= 0 AND booked <= capacity),
    UNIQUE (distribution_id, starts_at)
);

CREATE TABLE bookings (
    distribution_id uuid NOT NULL REFERENCES distributions (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL,
    slot_id         uuid NOT NULL REFERENCES slots (id),
    booked_at       timestamptz NOT NULL DEFAULT now(),
    -- At most one slot per member per distribution.
    PRIMARY KEY (distribution_id, user_id)
);
CREATE INDEX bookings_slot ON bookings (slot_id);
CREATE INDEX bookings_user ON bookings (user_id);

-- Only what the volunteer list shows: first name and postcode. Nothing else personal.
CREATE TABLE members (
    user_id    uuid PRIMARY KEY,
    first_name text NOT NULL DEFAULT '',
    postcode   text,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pickup_choices (
    distribution_id      uuid NOT NULL REFERENCES distributions (id) ON DELETE CASCADE,
    user_id              uuid NOT NULL,
    choice               text NOT NULL
                         CHECK (choice IN ('need_delivery', 'can_deliver', 'pickup_only')),
    consent_fields       text[],
    consent_text_version text,
    consented_at         timestamptz,
    chosen_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (distribution_id, user_id),
    -- A need-delivery choice always carries its consent; other choices never do.
    CHECK ((choice = 'need_delivery') = (consent_fields IS NOT NULL
                                          AND consent_text_version IS NOT NULL
                                          AND consented_at IS NOT NULL)),
    CHECK (consent_fields IS NULL OR (cardinality(consent_fields) >= 1
           AND consent_fields <@ ARRAY['address', 'phone', 'email']::text[]))
);
CREATE INDEX pickup_choices_user ON pickup_choices (user_id);

CREATE TABLE delivery_requests (
    id              uuid PRIMARY KEY,
    distribution_id uuid NOT NULL REFERENCES distributions (id) ON DELETE CASCADE,
    group_id        uuid NOT NULL,
    requester_id    uuid NOT NULL,
    volunteer_id    uuid,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    assigned_at     timestamptz,
    UNIQUE (distribution_id, requester_id),
    CHECK (volunteer_id IS NULL OR volunteer_id <> requester_id),
    CHECK ((volunteer_id IS NULL) = (assigned_at IS NULL))
);
CREATE INDEX delivery_requests_volunteer ON delivery_requests (volunteer_id)
    WHERE volunteer_id IS NOT NULL;
CREATE INDEX delivery_requests_requester ON delivery_requests (requester_id);

-- Order size for the volunteer list, from ordering's order events.
CREATE TABLE order_sizes (
    distribution_id uuid NOT NULL,
    user_id         uuid NOT NULL,
    items           integer NOT NULL,
    total_cents     bigint NOT NULL,
    at              timestamptz NOT NULL,
    PRIMARY KEY (distribution_id, user_id)
);
CREATE INDEX order_sizes_user ON order_sizes (user_id);
