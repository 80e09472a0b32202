-- Every identifier a ticket can be found by: the Message-IDs of its messages
-- (kind 'inbound' or 'outbound'), aliases a provider assigned to mail we sent
-- ('alias'), and the ids its messages referenced ('ref', for ghost parents).
-- The unique index covers the thread lookup, so it never touches the table.
CREATE TABLE thread_ids (
    property_id BIGINT NOT NULL REFERENCES properties(id),
    msg_id      TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    ticket_id   BIGINT NOT NULL REFERENCES tickets(id)
);
CREATE UNIQUE INDEX thread_ids_lookup ON thread_ids(property_id, msg_id, kind, ticket_id);

-- Instance settings the gateway generates for itself, such as the first
-- threading key when none is configured.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE INDEX contacts_email ON contacts(property_id, email);
CREATE INDEX tickets_status ON tickets(property_id, status, number);
