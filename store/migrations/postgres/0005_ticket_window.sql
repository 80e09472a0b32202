-- New tickets per sender are counted in a fixed hourly window on the
-- contact row: one update, where counting the contact's recent tickets cost
-- a range scan that grew with every ticket.
ALTER TABLE contacts ADD COLUMN window_start BIGINT NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN window_tickets BIGINT NOT NULL DEFAULT 0;
DROP INDEX tickets_requester;
