-- New tickets are counted per sender: the base address (RFC 5233 detail
-- removed) of the From, or of the envelope sender when From is missing or
-- unusable, in a fixed hourly window. Counting on the requester's contact
-- let anyone lock a customer out by naming her in Reply-To, and let one
-- sender open any number of tickets by rotating Reply-To or +detail.
-- contacts.window_start and window_tickets (0005) are no longer used.
CREATE TABLE sender_windows (
    property_id  INTEGER NOT NULL REFERENCES properties(id),
    sender       TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    tickets      INTEGER NOT NULL,
    PRIMARY KEY (property_id, sender)
) WITHOUT ROWID;
