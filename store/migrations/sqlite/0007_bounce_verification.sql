-- A delivery report changes a row or suppresses an address only when it is
-- verified: it arrived at the signed bounce address (VERP) of that outbound
-- row and names the row's recipient. Every report is kept; verified says
-- which ones acted.
ALTER TABLE bounces ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;
CREATE INDEX bounces_property ON bounces(property_id, id);

-- What caused a suppression, so that it can be shown and its clearing
-- logged on the ticket.
ALTER TABLE suppressions ADD COLUMN ticket_id INTEGER REFERENCES tickets(id);
ALTER TABLE suppressions ADD COLUMN bounce_id INTEGER REFERENCES bounces(id);
