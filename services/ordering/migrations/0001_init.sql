-- Ordering: catalog, distributions, carts, orders, stock, payments ledger.
CREATE TABLE products (
    id               uuid PRIMARY KEY,
    group_id         uuid NOT NULL,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    category         text NOT NULL CHECK (length(category) BETWEEN 1 AND 100),
    unit_label       text NOT NULL CHECK (length(unit_label) BETWEEN 1 AND 50),
    unit_price_cents integer NOT NULL CHECK (unit_price_cents >= 0),
    bulk             boolean NOT NULL DEFAULT false,
    -- « le stock ne passe jamais sous zéro »: the backstop of repository/stock.py's TAKE_STOCK
    -- (which never writes a negative stock); NULL: not tracked. The name is the one Postgres
    -- gave it unnamed, spelled out so that it can be found.
    stock            numeric(10,3) CONSTRAINT products_stock_check CHECK (stock >= 0),
    active           boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_group ON products (group_id, category, name);

CREATE TABLE distributions (
    id                  uuid PRIMARY KEY,
    group_id            uuid NOT NULL,
    starts_at           timestamptz NOT NULL,
    ends_at             timestamptz NOT NULL,
    opens_at            timestamptz NOT NULL,
    closes_at           timestamptz NOT NULL,
    place_name          text NOT NULL,
    place_address       text NOT NULL,
    created_by          uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    opened_announced_at timestamptz,
    closed_announced_at timestamptz,
    CHECK (opens_at < closes_at AND closes_at <= starts_at AND starts_at < ends_at)
);
CREATE INDEX distributions_group ON distributions (group_id, starts_at);
CREATE INDEX distributions_to_open ON distributions (opens_at) WHERE opened_announced_at IS NULL;
CREATE INDEX distributions_to_close ON distributions (closes_at) WHERE closed_announced_at IS NULL;

CREATE TABLE distribution_products (
    distribution_id uuid NOT NULL REFERENCES distributions (id),
    product_id      uuid NOT NULL REFERENCES products (id),
    price_cents     integer NOT NULL CHECK (price_cents >= 0),
    PRIMARY KEY (distribution_id, product_id)
);

-- Pending (not yet validated) quantities of a member for a distribution.
CREATE TABLE cart_lines (
    distribution_id uuid NOT NULL REFERENCES distributions (id),
    user_id         uuid NOT NULL,
    product_id      uuid NOT NULL REFERENCES products (id),
    quantity        numeric(10,3) NOT NULL CHECK (quantity > 0),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (distribution_id, user_id, product_id)
);

CREATE TABLE orders (
    id              uuid PRIMARY KEY,
    distribution_id uuid NOT NULL REFERENCES distributions (id),
    group_id        uuid NOT NULL,
    user_id         uuid NOT NULL,
    total_cents     integer NOT NULL,
    payment_method  text NOT NULL DEFAULT 'on_site',
    validated_at    timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (distribution_id, user_id)
);
CREATE INDEX orders_user ON orders (group_id, user_id);

CREATE TABLE order_lines (
    order_id         uuid NOT NULL REFERENCES orders (id),
    product_id       uuid NOT NULL REFERENCES products (id),
    product_name     text NOT NULL,
    category         text NOT NULL,
    unit_label       text NOT NULL,
    bulk             boolean NOT NULL,
    quantity         numeric(10,3) NOT NULL CHECK (quantity >= 0),
    unit_price_cents integer NOT NULL,
    line_total_cents integer NOT NULL,
    PRIMARY KEY (order_id, product_id)
);

-- Append-only ledger: debits (negative) for orders, credits (positive) for payments.
CREATE TABLE ledger_entries (
    id              bigserial PRIMARY KEY,
    entry_id        uuid NOT NULL UNIQUE,
    group_id        uuid NOT NULL,
    user_id         uuid NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('order', 'order_update', 'correction', 'payment')),
    amount_cents    integer NOT NULL,
    method          text CHECK (method IN ('cash', 'cheque', 'card', 'transfer')),
    order_id        uuid,
    distribution_id uuid,
    payment_id      uuid UNIQUE,
    recorded_by     uuid,
    note            text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_user ON ledger_entries (group_id, user_id, id);
CREATE INDEX ledger_distribution ON ledger_entries (distribution_id, user_id) WHERE kind = 'payment';

-- Append-only: no delete; an update may only replace the user id (anonymisation on erasure).
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger_entries is append-only';
    END IF;
    IF (NEW.id, NEW.entry_id, NEW.group_id, NEW.kind, NEW.amount_cents, NEW.method, NEW.order_id,
        NEW.distribution_id, NEW.payment_id, NEW.recorded_by, NEW.note, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.entry_id, OLD.group_id, OLD.kind, OLD.amount_cents, OLD.method, OLD.order_id,
        OLD.distribution_id, OLD.payment_id, OLD.recorded_by, OLD.note, OLD.created_at) THEN
        RAISE EXCEPTION 'ledger_entries is append-only';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
