-- SLA (issue 11): each property's policy, the state of each ticket's
-- clocks, and the alerts the scheduler sent, so that each goes once.

-- The policy is the sla package's JSON (targets per priority, warn share,
-- business hours).
CREATE TABLE sla_policies (
    property_id BIGINT PRIMARY KEY REFERENCES properties(id),
    policy      TEXT    NOT NULL,
    updated_by  TEXT    NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- A ticket's clocks (only tickets opened under a policy have a row). Due
-- times are on the ticket (tickets.first_response_due, resolution_due);
-- here is what moves them: since when the clocks run (0: stopped, while
-- the ticket is snoozed or closed), the counted time used before that, the
-- moments the team is warned, and the next moment the scheduler must look
-- at the ticket (0: none), which is what it searches by.
CREATE TABLE sla_clocks (
    ticket_id           BIGINT PRIMARY KEY REFERENCES tickets(id),
    property_id         BIGINT NOT NULL REFERENCES properties(id),
    running_since       BIGINT NOT NULL,
    used_ms             BIGINT NOT NULL,
    first_response_warn BIGINT NOT NULL,
    resolution_warn     BIGINT NOT NULL,
    next_at             BIGINT NOT NULL
);
CREATE INDEX sla_clocks_next ON sla_clocks(next_at) WHERE next_at > 0;

-- Warnings and overdue alerts sent: one per ticket, kind and due time. A
-- scheduler claims one by inserting it, in the transaction that sends it,
-- so two schedulers (two gateways on one database) never both send it.
CREATE TABLE sla_alerts (
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    kind      TEXT    NOT NULL, -- first-response-warning, first-response-overdue, resolution-warning, resolution-overdue
    due       BIGINT NOT NULL,
    sent_at   BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, kind, due)
);

-- Snoozed tickets due to wake, found by their wake time.
CREATE INDEX tickets_snoozed ON tickets(snoozed_until) WHERE status = 'snoozed';
