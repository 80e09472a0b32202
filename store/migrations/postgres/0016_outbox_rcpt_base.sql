-- The acknowledgement limits count a property's recent acks per base
-- address (RFC 5233 detail removed) and in all. 0009 read every ack of the
-- hour and compared addresses in Go, a cost that grew with the hour's mail
-- (quadratic under load: 6x slower at 10,000 messages). The base address is
-- now kept on the row and both counts search an index and stop at the limit.
ALTER TABLE outbox ADD COLUMN rcpt_base TEXT NOT NULL DEFAULT '';
-- Rows written before: the lower-cased address without its +detail (what
-- outbox.BaseAddress computes, but for a trailing dot, which intake no
-- longer lets through). SQLite's step cuts with instr/substr; here the
-- local part is split_part(…, '@', 1) and the part before the first + is
-- split_part(…, '+', 1), guarded as SQLite's is for an address without @.
UPDATE outbox SET rcpt_base = CASE
    WHEN strpos(lower(rcpt), '@') > 0 AND strpos(split_part(lower(rcpt), '@', 1), '+') > 0
    THEN split_part(lower(rcpt), '+', 1) || substr(lower(rcpt), strpos(lower(rcpt), '@'))
    ELSE lower(rcpt) END;
CREATE INDEX outbox_base_time ON outbox(property_id, kind, rcpt_base, created_at);
-- The hourly ceiling of acknowledgements per property counts in a fixed
-- clock hour, one row per property and what is counted, so that checking it
-- costs one indexed upsert however many acks the hour held.
CREATE TABLE hourly_counts (
    property_id BIGINT NOT NULL REFERENCES properties(id),
    what        TEXT    NOT NULL,
    hour        BIGINT NOT NULL, -- Unix time / 3600
    n           BIGINT NOT NULL,
    PRIMARY KEY (property_id, what)
);
-- Mail to a customer references only what that customer has seen
-- (store.SeenMessageIDs): our mail to them on the ticket is found by this
-- index, not by walking the outbox up to the row being rendered (which made
-- rendering cost grow with the whole outbox).
CREATE INDEX outbox_ticket_rcpt ON outbox(ticket_id, rcpt_kind, rcpt_id, id);
