-- Ordering's write use cases in as few round trips as their rules allow (issue 13): the reads a
-- use case needs before deciding, and the writes once it has decided, are one call each.
-- Functions written in PL/pgSQL run each statement with a fresh snapshot (READ COMMITTED): a read
-- that follows the member's lock in the same function sees what the lock's previous holder
-- committed, which one statement with CTEs could not (its snapshot predates the wait).

-- The member's lock on a distribution: their cart changes and validations run one at a time
-- (« un panier validé deux fois fait une commande »). Held until the end of the transaction.
CREATE FUNCTION member_lock(p_distribution uuid, p_user uuid) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtextextended(p_distribution::text || p_user::text, 0))
$$;

-- « le stock ne passe jamais sous zéro »: stock -= quantity for every stocked product asked, in
-- one statement. The stocked rows are locked in id order first (no deadlocks between
-- validations; NO KEY UPDATE, so the key-share locks of new order lines do not wait on them),
-- and only rows already locked are updated, from their locked (latest) stock and only where that
-- stock covers the quantity. Answers the locked products that were not moved (short): the caller
-- rolls back. A negative quantity gives stock back (a correction lowering a line); products
-- without stock (NULL: not tracked) are ignored.
CREATE FUNCTION take_stock(p_ids uuid[], p_quantities numeric[]) RETURNS SETOF uuid
LANGUAGE sql AS $$
    WITH locked AS (SELECT id, stock FROM products WHERE id = ANY(p_ids)
                    AND stock IS NOT NULL ORDER BY id FOR NO KEY UPDATE),
         wanted AS (SELECT * FROM unnest(p_ids, p_quantities) AS x(id, q)),
         moved AS (UPDATE products p SET stock = l.stock - w.q FROM wanted w
                   JOIN locked l ON l.id = w.id WHERE p.id = w.id AND l.stock >= w.q
                   RETURNING p.id)
    SELECT l.id FROM locked l WHERE l.id NOT IN (SELECT id FROM moved)
$$;

-- A pending cart line with what validation needs: the price for this distribution (NULL: no
-- longer offered), the active flag, the stock. Fields as repository/rows.py's CartLine (and the
-- rows of `orders`, `order_lines` below as its Order and OrderLine: a column added to those
-- tables is a field added there).
CREATE TYPE pending_line AS (
    product_id  uuid,
    quantity    numeric(10,3),
    name        text,
    category    text,
    unit_label  text,
    bulk        boolean,
    active      boolean,
    stock       numeric(10,3),
    price_cents integer
);

-- What a member holds for a distribution: pending lines and their order (NULL: none yet) with
-- its lines still ordered, both by category then name, and what they have paid for it.
CREATE TYPE member_cart AS (
    pending      pending_line[],
    member_order orders,
    validated    order_lines[],
    paid_cents   integer
);

CREATE FUNCTION member_cart(p_distribution uuid, p_user uuid) RETURNS member_cart
LANGUAGE sql STABLE AS $$
    SELECT ARRAY(SELECT ROW(c.product_id, c.quantity, p.name, p.category, p.unit_label, p.bulk,
                            p.active, p.stock, dp.price_cents)::pending_line
                 FROM cart_lines c JOIN products p ON p.id = c.product_id
                 LEFT JOIN distribution_products dp ON dp.distribution_id = c.distribution_id
                      AND dp.product_id = c.product_id
                 WHERE c.distribution_id = p_distribution AND c.user_id = p_user
                 ORDER BY p.category, p.name),
           o,
           ARRAY(SELECT l FROM order_lines l WHERE l.order_id = o.id AND l.quantity > 0
                 ORDER BY l.category, l.product_name),
           (SELECT coalesce(sum(e.amount_cents), 0)::int FROM ledger_entries e
            WHERE e.kind = 'payment' AND e.distribution_id = p_distribution
              AND e.user_id = p_user)
    FROM (SELECT 1) AS one
    LEFT JOIN orders o ON o.distribution_id = p_distribution AND o.user_id = p_user
$$;

-- A distribution of a group as ordering answers it, with the database clock its state is computed
-- against. Fields as repository/rows.py's Distribution. NULL: not this group's (or unknown).
CREATE TYPE group_distribution AS (
    id            uuid,
    group_id      uuid,
    starts_at     timestamptz,
    ends_at       timestamptz,
    opens_at      timestamptz,
    closes_at     timestamptz,
    place_name    text,
    place_address text,
    db_now        timestamptz
);

CREATE FUNCTION group_distribution(p_group uuid, p_distribution uuid) RETURNS group_distribution
LANGUAGE sql STABLE AS $$
    SELECT d.id, d.group_id, d.starts_at, d.ends_at, d.opens_at, d.closes_at, d.place_name,
           d.place_address, now()
    FROM distributions d WHERE d.id = p_distribution AND d.group_id = p_group
$$;

-- The first call of a validation: the Idempotency-Key claim (a twin still running is waited for;
-- a key already used answers what was kept, `claimed` false), then the distribution, then the
-- member's lock, then what they hold. No distribution (another group's, unknown): no lock, no
-- cart (the caller refuses with 404).
CREATE FUNCTION validation_start(
    p_scope text, p_key text, p_group uuid, p_distribution uuid, p_user uuid,
    OUT claimed boolean, OUT kept_status integer, OUT kept_response jsonb,
    OUT distribution group_distribution, OUT cart member_cart
) LANGUAGE plpgsql AS $$
BEGIN
    claimed := true;
    IF p_key IS NOT NULL THEN
        INSERT INTO idempotency_keys AS k (scope, key) VALUES (p_scope, p_key)
            ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            -- A statement of its own: its snapshot sees the answer the twin committed.
            claimed := false;
            SELECT k.status, k.response INTO kept_status, kept_response
                FROM idempotency_keys k WHERE k.scope = p_scope AND k.key = p_key;
            RETURN;
        END IF;
    END IF;
    distribution := group_distribution(p_group, p_distribution);
    IF distribution.id IS NULL THEN
        RETURN;
    END IF;
    PERFORM member_lock(p_distribution, p_user);
    cart := member_cart(p_distribution, p_user);
END $$;

-- The second and last call of a validation, once the caller has computed the order: the order
-- row (inserted the first time, its total updated after), its changed lines, the ledger debit,
-- the emptied cart, the outbox row of the event, the answer kept for the Idempotency-Key (none
-- without a key), then the stock, last, so the hot stock rows are held until the commit only.
-- Answers the products whose stock falls short: the caller then rolls everything back.
CREATE FUNCTION validation_save(
    p_order uuid, p_kind text, p_distribution uuid, p_group uuid, p_user uuid,
    p_total_cents integer, p_amount_cents integer, p_lines order_lines[],
    p_event_id uuid, p_routing_key text, p_event jsonb,
    p_scope text, p_key text, p_status integer, p_answer jsonb,
    p_stock_ids uuid[], p_stock_quantities numeric[]
) RETURNS uuid[] LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO orders AS o (id, distribution_id, group_id, user_id, total_cents)
        VALUES (p_order, p_distribution, p_group, p_user, p_total_cents)
        ON CONFLICT (id) DO UPDATE SET total_cents = EXCLUDED.total_cents, updated_at = now();
    INSERT INTO order_lines SELECT * FROM unnest(p_lines)
        ON CONFLICT (order_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity,
            unit_price_cents = EXCLUDED.unit_price_cents,
            line_total_cents = EXCLUDED.line_total_cents;
    INSERT INTO ledger_entries (entry_id, group_id, user_id, kind, amount_cents, order_id,
                                distribution_id)
        VALUES (gen_random_uuid(), p_group, p_user, p_kind, p_amount_cents, p_order,
                p_distribution);
    DELETE FROM cart_lines c WHERE c.distribution_id = p_distribution AND c.user_id = p_user;
    INSERT INTO outbox (event_id, routing_key, body) VALUES (p_event_id, p_routing_key, p_event);
    UPDATE idempotency_keys k SET status = p_status, response = p_answer
        WHERE k.scope = p_scope AND k.key = p_key;
    RETURN ARRAY(SELECT take_stock(p_stock_ids, p_stock_quantities));
END $$;

-- The first call of a cart change: the distribution, the product as offered for it (NULL: not
-- offered), the member's lock, then how much of the product they have validated and pending.
CREATE FUNCTION cart_change_start(
    p_group uuid, p_distribution uuid, p_user uuid, p_product uuid,
    OUT distribution group_distribution, OUT product products,
    OUT price_cents integer, OUT validated numeric, OUT pending numeric
) LANGUAGE plpgsql AS $$
BEGIN
    distribution := group_distribution(p_group, p_distribution);
    IF distribution.id IS NULL THEN
        RETURN;
    END IF;
    SELECT dp.price_cents INTO price_cents FROM distribution_products dp
        WHERE dp.distribution_id = p_distribution AND dp.product_id = p_product;
    IF FOUND THEN
        product := (SELECT p FROM products p WHERE p.id = p_product);
    END IF;
    PERFORM member_lock(p_distribution, p_user);
    SELECT coalesce((SELECT l.quantity FROM orders o JOIN order_lines l ON l.order_id = o.id
                     WHERE o.distribution_id = p_distribution AND o.user_id = p_user
                       AND l.product_id = p_product), 0),
           coalesce((SELECT c.quantity FROM cart_lines c
                     WHERE c.distribution_id = p_distribution AND c.user_id = p_user
                       AND c.product_id = p_product), 0)
        INTO validated, pending;
END $$;

-- The second and last call of a cart change: the product's pending quantity becomes
-- `p_pending` (0 or less: the line is dropped), then what the member holds, as changed.
CREATE FUNCTION cart_change_save(
    p_distribution uuid, p_user uuid, p_product uuid, p_pending numeric
) RETURNS member_cart LANGUAGE plpgsql AS $$
BEGIN
    IF p_pending > 0 THEN
        INSERT INTO cart_lines AS c (distribution_id, user_id, product_id, quantity)
            VALUES (p_distribution, p_user, p_product, p_pending)
            ON CONFLICT (distribution_id, user_id, product_id)
            DO UPDATE SET quantity = EXCLUDED.quantity, updated_at = now();
    ELSE
        DELETE FROM cart_lines c WHERE c.distribution_id = p_distribution
            AND c.user_id = p_user AND c.product_id = p_product;
    END IF;
    RETURN member_cart(p_distribution, p_user);
END $$;
