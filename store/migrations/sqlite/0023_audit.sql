-- What was done to a property outside its tickets (members, departments,
-- topics, saved replies, fields, SLA policy, settings) and by whom: every
-- operation records its actor (issue 11 item 9). Ticket changes are in
-- each ticket's events.
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES properties(id),
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX audit_property ON audit(property_id, id);
