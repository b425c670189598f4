CREATE TABLE groups (
    id                uuid PRIMARY KEY,
    slug              text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name              text NOT NULL,
    city              text NOT NULL,
    coordinator_name  text NOT NULL DEFAULT '',
    coordinator_email text NOT NULL DEFAULT '',
    contact_email     text NOT NULL DEFAULT '',
    phone_required    boolean NOT NULL DEFAULT false,
    address_required  boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL,
    password_hash text NOT NULL,
    first_name    text NOT NULL,
    last_name     text NOT NULL,
    phone         text,
    street        text,
    postcode      text,
    city          text,
    language      text NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en', 'de')),
    is_admin      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Email is unique across the deployment, case-insensitively.
CREATE UNIQUE INDEX users_email_unique ON users (lower(email));

CREATE TABLE memberships (
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id  uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    role      text NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'coordinator')),
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, group_id)
);
CREATE INDEX memberships_group ON memberships (group_id);

-- Only a hash of the session id is stored: a database leak does not hand out sessions.
CREATE TABLE sessions (
    id_hash      bytea PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    ended_at     timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE password_resets (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,
    -- Kept only until the notifications service fetched it to send the email.
    token_for_delivery text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

CREATE TABLE login_failures (
    id           bigserial PRIMARY KEY,
    throttle_key text NOT NULL,
    failed_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_key ON login_failures (throttle_key, failed_at);

CREATE TABLE signing_keys (
    kid         text PRIMARY KEY,
    private_pem text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
