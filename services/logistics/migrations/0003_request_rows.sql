-- A delivery request with what a volunteer or the coordinator sees of the requester: the one
-- definition that the volunteer list, the coordinator's view and the internal lookup select
-- from (services/logistics/repository/requests.py). A plain view: the planner inlines it, so a
-- filter on `request_id` still uses the primary key and one on `distribution_id` the unique
-- (distribution_id, requester_id) index.
CREATE VIEW request_rows AS
SELECT r.id AS request_id, r.distribution_id, r.group_id, r.requester_id, r.volunteer_id,
       r.requested_at,
       coalesce(m.first_name, '') AS first_name, m.postcode,
       o.items AS order_items, o.total_cents AS order_total_cents,
       c.consent_fields, c.consented_at, c.consent_text_version
FROM delivery_requests r
LEFT JOIN members m ON m.user_id = r.requester_id
LEFT JOIN order_sizes o ON o.distribution_id = r.distribution_id AND o.user_id = r.requester_id
LEFT JOIN pickup_choices c ON c.distribution_id = r.distribution_id
                          AND c.user_id = r.requester_id;
