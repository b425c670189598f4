-- One round trip per use case (issue 13, « Fewer round trips »): the statements a use case ran
-- one by one from Python, in the same order, in one PL/pgSQL function. In READ COMMITTED each
-- statement of a (volatile) function takes a fresh snapshot, as separate statements did, so a
-- statement that waited for a lock still sees what the other transaction committed: the race
-- guarantees are those of the statements taken one by one (services/logistics/README.md,
-- « Invariants »). The caller owns the transaction; an `outcome` other than 'ok' / 'assigned'
-- means nothing was written and the caller answers the matching problem. Events stay in
-- Python (shared.outbox.add_event), written by the caller in the same transaction.


-- A member's pickup choice (services/logistics/pickup.py, set_pickup): the window (not over),
-- the choice and its consent, then for `need_delivery` the requester's first name and the
-- request, otherwise the member's own request deleted; for any choice but `can_deliver` the
-- requests the member had taken handed back. The choice is written first: a claim by this
-- member holds their choice FOR SHARE until it commits, so the hand-back below, a later
-- statement, sees that claim. Returns the choice, the member's request after the change, the
-- request created now (`requested`, for the event) and the requests cancelled or handed back
-- (for ended_pairings and the events), ordered by request id.
CREATE FUNCTION set_pickup_choice(
    p_distribution_id uuid, p_group_id uuid, p_user_id uuid, p_choice text,
    p_consent_fields text[], p_consent_text_version text, p_first_name text,
    p_new_request_id uuid,
    OUT outcome text, OUT choice text, OUT consent_fields text[],
    OUT consent_text_version text, OUT consented_at timestamptz,
    OUT requested uuid, OUT request_id uuid, OUT request_volunteer_id uuid,
    OUT cancelled_ids uuid[], OUT cancelled_volunteer_ids uuid[],
    OUT handed_back_ids uuid[], OUT handed_back_requester_ids uuid[]
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_ends_at timestamptz;
BEGIN
    SELECT d.ends_at INTO v_ends_at FROM distributions d
    WHERE d.id = p_distribution_id AND d.group_id = p_group_id;
    IF NOT FOUND THEN
        outcome := 'distribution-not-found';
        RETURN;
    END IF;
    IF now() >= v_ends_at THEN
        outcome := 'distribution-over';
        RETURN;
    END IF;

    INSERT INTO pickup_choices AS c (distribution_id, user_id, choice, consent_fields,
                                     consent_text_version, consented_at)
    VALUES (p_distribution_id, p_user_id, p_choice, p_consent_fields, p_consent_text_version,
            CASE WHEN p_consent_fields IS NULL THEN NULL ELSE now() END)
    ON CONFLICT (distribution_id, user_id) DO UPDATE SET choice = EXCLUDED.choice,
        consent_fields = EXCLUDED.consent_fields,
        consent_text_version = EXCLUDED.consent_text_version,
        consented_at = EXCLUDED.consented_at, chosen_at = now()
    RETURNING c.choice, c.consent_fields, c.consent_text_version, c.consented_at
    INTO choice, consent_fields, consent_text_version, consented_at;

    IF p_choice = 'need_delivery' THEN
        -- The requester's first name from the token, until accounts' event brings the copy.
        IF p_first_name <> '' THEN
            INSERT INTO members (user_id, first_name) VALUES (p_user_id, p_first_name)
            ON CONFLICT DO NOTHING;
        END IF;
        INSERT INTO delivery_requests (id, distribution_id, group_id, requester_id)
        VALUES (p_new_request_id, p_distribution_id, p_group_id, p_user_id)
        ON CONFLICT DO NOTHING RETURNING id INTO requested;
    ELSE
        WITH gone AS (
            DELETE FROM delivery_requests r
            WHERE r.requester_id = p_user_id AND r.distribution_id = p_distribution_id
            RETURNING r.id, r.volunteer_id)
        SELECT array_agg(g.id ORDER BY g.id), array_agg(g.volunteer_id ORDER BY g.id)
        INTO cancelled_ids, cancelled_volunteer_ids FROM gone g;
    END IF;

    IF p_choice <> 'can_deliver' THEN
        WITH old AS (
            SELECT r.id FROM delivery_requests r
            WHERE r.volunteer_id = p_user_id AND r.distribution_id = p_distribution_id
            FOR UPDATE),
        back AS (
            UPDATE delivery_requests r SET volunteer_id = NULL, assigned_at = NULL FROM old
            WHERE r.id = old.id RETURNING r.id, r.requester_id)
        SELECT array_agg(b.id ORDER BY b.id), array_agg(b.requester_id ORDER BY b.id)
        INTO handed_back_ids, handed_back_requester_ids FROM back b;
    END IF;

    SELECT r.id, r.volunteer_id INTO request_id, request_volunteer_id FROM delivery_requests r
    WHERE r.distribution_id = p_distribution_id AND r.requester_id = p_user_id;
    outcome := 'ok';
END $$;


-- A volunteer takes a delivery request (services/logistics/pairing.py, claim_request), checks
-- in the order the members meet them: the window (not over), the membership not ended since
-- the token was issued (shared.revocations; NULL: not checked), the request in this
-- distribution of this group, not one's own, the volunteer's choice `can_deliver` (held FOR
-- SHARE until the claim commits, so the choice cannot change under it), then the claim itself:
-- « une demande de livraison n'a qu'un bénévole », the conditional update `volunteer_id IS
-- NULL` (two volunteers racing get one winner). Returns the outcome ('assigned': won now;
-- 'already-mine'; 'already-taken'; a refusal) and the request as volunteers see it.
CREATE FUNCTION claim_delivery_request(
    p_distribution_id uuid, p_group_id uuid, p_request_id uuid, p_volunteer_id uuid,
    p_token_issued_at double precision
) RETURNS TABLE (
    outcome text, request_id uuid, distribution_id uuid, group_id uuid, requester_id uuid,
    volunteer_id uuid, requested_at timestamptz, first_name text, postcode text,
    order_items integer, order_total_cents bigint, consent_fields text[],
    consented_at timestamptz, consent_text_version text
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_ends_at timestamptz;
    v_requester uuid;
    v_won boolean;
    v_row request_rows%ROWTYPE;
BEGIN
    SELECT d.ends_at INTO v_ends_at FROM distributions d
    WHERE d.id = p_distribution_id AND d.group_id = p_group_id;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'distribution-not-found'::text, (NULL::request_rows).*;
        RETURN;
    END IF;
    IF now() >= v_ends_at THEN
        RETURN QUERY SELECT 'distribution-over'::text, (NULL::request_rows).*;
        RETURN;
    END IF;
    IF p_token_issued_at IS NOT NULL AND EXISTS (
        SELECT 1 FROM membership_revocations m
        WHERE m.user_id = p_volunteer_id AND m.group_id = p_group_id
          AND m.ended_at >= to_timestamp(p_token_issued_at)) THEN
        RETURN QUERY SELECT 'membership-ended'::text, (NULL::request_rows).*;
        RETURN;
    END IF;
    SELECT r.requester_id INTO v_requester FROM delivery_requests r
    WHERE r.id = p_request_id AND r.distribution_id = p_distribution_id
      AND r.group_id = p_group_id;
    IF v_requester IS NULL THEN
        RETURN QUERY SELECT 'request-not-found'::text, (NULL::request_rows).*;
        RETURN;
    END IF;
    IF v_requester = p_volunteer_id THEN
        RETURN QUERY SELECT 'own-request'::text, (NULL::request_rows).*;
        RETURN;
    END IF;
    PERFORM 1 FROM pickup_choices c
    WHERE c.distribution_id = p_distribution_id AND c.user_id = p_volunteer_id
      AND c.choice = 'can_deliver'
    FOR SHARE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not-volunteer'::text, (NULL::request_rows).*;
        RETURN;
    END IF;
    UPDATE delivery_requests r SET volunteer_id = p_volunteer_id, assigned_at = now()
    WHERE r.id = p_request_id AND r.volunteer_id IS NULL;
    v_won := FOUND;
    SELECT * INTO v_row FROM request_rows v WHERE v.request_id = p_request_id;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'request-not-found'::text, (NULL::request_rows).*;
        RETURN;
    END IF;
    RETURN QUERY SELECT CASE WHEN v_won THEN 'assigned'::text
                             WHEN v_row.volunteer_id = p_volunteer_id THEN 'already-mine'
                             ELSE 'already-taken' END,
                        v_row.*;
END $$;
