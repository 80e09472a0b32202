-- Addresses a mail proposed as participants (its To and Cc) but could not
-- add, because it joined its ticket without a valid reply token. Agents see
-- them on the ticket and in their copy; a member adds them with #cc.
CREATE TABLE proposed_participants (
    message_id BIGINT NOT NULL REFERENCES messages(id),
    ticket_id  BIGINT NOT NULL REFERENCES tickets(id),
    email      TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    PRIMARY KEY (message_id, email)
);
CREATE INDEX proposed_participants_ticket ON proposed_participants(ticket_id);
