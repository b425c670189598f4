-- Pairings (a volunteer had taken a delivery request) that ended other than by delivery: the
-- coordinator sees on « Créneaux et livraisons » who is no longer delivered or delivering, and
-- why. Erasure blanks the erased person's id (NULL) and keeps the fact; the rows go with the
-- distribution, or 30 days after it ended (logistics worker).
CREATE TABLE ended_pairings (
    request_id      uuid NOT NULL,
    distribution_id uuid NOT NULL REFERENCES distributions (id) ON DELETE CASCADE,
    group_id        uuid NOT NULL,
    requester_id    uuid,
    volunteer_id    uuid,
    reason          text NOT NULL CHECK (reason IN ('volunteer_withdrew', 'requester_cancelled',
                                                    'revoked', 'member_left', 'erased')),
    ended_by        text NOT NULL CHECK (ended_by IN ('requester', 'volunteer', 'coordinator')),
    ended_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, ended_at)
);
CREATE INDEX ended_pairings_distribution ON ended_pairings (distribution_id);
CREATE INDEX ended_pairings_requester ON ended_pairings (requester_id)
    WHERE requester_id IS NOT NULL;
CREATE INDEX ended_pairings_volunteer ON ended_pairings (volunteer_id)
    WHERE volunteer_id IS NOT NULL;
