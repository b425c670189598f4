-- The helpers of 0002 in PL/pgSQL instead of SQL, with the same statements (issue 13).
-- Postgres plans the body of a SQL-language function again on every call when it cannot inline
-- it (these return composites or sets, or are called from PL/pgSQL): during the order-close rush
-- that was ~0.5 ms of planning per validation (pg_stat_statements, track = all: the cart read
-- 275 µs, take_stock 208 µs, the distribution 52 µs). PL/pgSQL keeps each statement's plan for
-- the session. Volatility, snapshots and locks are unchanged: member_cart and
-- group_distribution stay STABLE (the caller's snapshot), take_stock and member_lock volatile
-- (a snapshot per statement), each one statement as before.

CREATE OR REPLACE FUNCTION member_lock(p_distribution uuid, p_user uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_distribution::text || p_user::text, 0));
END $$;

-- « le stock ne passe jamais sous zéro »: the same single statement as in 0002 (read there why
-- it holds).
CREATE OR REPLACE FUNCTION take_stock(p_ids uuid[], p_quantities numeric[]) RETURNS SETOF uuid
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
    WITH locked AS (SELECT id, stock FROM products WHERE id = ANY(p_ids)
                    AND stock IS NOT NULL ORDER BY id FOR NO KEY UPDATE),
         wanted AS (SELECT * FROM unnest(p_ids, p_quantities) AS x(id, q)),
         moved AS (UPDATE products p SET stock = l.stock - w.q FROM wanted w
                   JOIN locked l ON l.id = w.id WHERE p.id = w.id AND l.stock >= w.q
                   RETURNING p.id)
    SELECT l.id FROM locked l WHERE l.id NOT IN (SELECT id FROM moved);
END $$;

CREATE OR REPLACE FUNCTION member_cart(p_distribution uuid, p_user uuid) RETURNS member_cart
LANGUAGE plpgsql STABLE AS $$
DECLARE
    held member_cart;
BEGIN
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
    INTO held
    FROM (SELECT 1) AS one
    LEFT JOIN orders o ON o.distribution_id = p_distribution AND o.user_id = p_user;
    RETURN held;
END $$;

-- NULL, as before, when the distribution is not this group's (or unknown).
CREATE OR REPLACE FUNCTION group_distribution(p_group uuid, p_distribution uuid)
RETURNS group_distribution
LANGUAGE plpgsql STABLE AS $$
DECLARE
    found_row group_distribution;
BEGIN
    SELECT d.id, d.group_id, d.starts_at, d.ends_at, d.opens_at, d.closes_at, d.place_name,
           d.place_address, now()
    INTO found_row
    FROM distributions d WHERE d.id = p_distribution AND d.group_id = p_group;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    RETURN found_row;
END $$;
