-- Ticket lists and full-text search (issue 11 item 7).
--
-- Lists. Every index here is written when a ticket is created, and each
-- that holds updated_at again whenever a ticket is touched (every mail),
-- so there are few: one per order (activity, due time, priority; the due
-- and priority ones are expression indexes over the expressions
-- store/list.go uses, dueKey and rankKey there, which must stay equal) and
-- one per narrow filter (an assignee's, a department's, a topic's, a
-- requester's tickets; overdue ones), without updated_at. A list finds
-- its tickets by its smallest narrow filter and sorts them, or walks its
-- order's index testing each ticket (store/list.go, sortLimit).
CREATE INDEX tickets_activity ON tickets(property_id, updated_at, id);
CREATE INDEX tickets_due ON tickets(property_id,
    (CASE WHEN first_response_at = 0 AND first_response_due > 0
            AND (resolution_due = 0 OR first_response_due < resolution_due) THEN first_response_due
          WHEN resolution_due > 0 THEN resolution_due
          ELSE 9223372036854775807 END), id);
CREATE INDEX tickets_rank ON tickets(property_id,
    (CASE priority WHEN 'highest' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3
          WHEN 'low' THEN 2 WHEN 'lowest' THEN 1 ELSE 0 END), id);
CREATE INDEX tickets_assignee ON tickets(assignee_id) WHERE assignee_id IS NOT NULL;
CREATE INDEX tickets_department ON tickets(department_id);
CREATE INDEX tickets_topic ON tickets(topic_id) WHERE topic_id IS NOT NULL;
CREATE INDEX tickets_requester ON tickets(requester_id);
CREATE INDEX tickets_overdue ON tickets(property_id, updated_at, id) WHERE overdue_at > 0 AND status != 'closed';

-- Tags, one row per ticket and tag, kept in step with tickets.tags by
-- store's SetTags, for the indexed tag filter.
CREATE TABLE ticket_tags (
    property_id BIGINT NOT NULL,
    tag         TEXT    NOT NULL,
    ticket_id   BIGINT NOT NULL REFERENCES tickets(id),
    PRIMARY KEY (property_id, tag, ticket_id)
);
CREATE INDEX ticket_tags_ticket ON ticket_tags(ticket_id);
-- Tickets written before: their tags, one a line (SQLite's step splits
-- them with a recursive CTE; string_to_array does the same here).
INSERT INTO ticket_tags (property_id, tag, ticket_id)
SELECT t.property_id, tag, t.id FROM tickets t, unnest(string_to_array(t.tags, chr(10))) AS tag
WHERE t.tags != '' AND tag != ''
ON CONFLICT DO NOTHING;

-- Full-text search (PostgreSQL text search), Unicode-aware and
-- accent-insensitive as SQLite's FTS5 step is (unicode61, remove_diacritics
-- 2): "nao" finds "não", "cafe" finds "Café". Each message (subject, text
-- body, author's name and address) and each contact (name and address)
-- keeps a tsvector in a stored generated column, so the index follows the
-- row in the transaction that writes it (a search right after a 250 finds
-- the mail) and a message moved to another ticket is found in its new
-- ticket. The configuration is 'simple' (no stemming, no stop words:
-- unicode61 has neither).
--
-- unaccent is a trusted extension (PostgreSQL 13 and later): a database
-- owner who is not a superuser may create it. Its function is only STABLE
-- (it reads the dictionary by name through search_path), so
-- search_unaccent wraps it, naming the schema the extension lives in and
-- its dictionary explicitly, as the IMMUTABLE function a generated column
-- needs.
CREATE EXTENSION IF NOT EXISTS unaccent;
DO $do$
DECLARE
    ns text;
BEGIN
    SELECT n.nspname INTO STRICT ns FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'unaccent';
    EXECUTE format($f$CREATE FUNCTION search_unaccent(text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $b$ SELECT %1$I.unaccent(%2$L::regdictionary, $1) $b$$f$, ns, quote_ident(ns) || '.unaccent');
    -- search_text is what is indexed and searched: the text without
    -- accents, its ASCII punctuation (the ranges !-/ :-@ [-` {-~;
    -- translate() does the same 5x slower on non-ASCII text) made spaces,
    -- so that words are cut as unicode61 cuts them (runs of letters and
    -- digits): "jose@customer.test" is jose, customer and test, not one
    -- email token as PostgreSQL's parser would make it. store/search.go
    -- cuts a query the same way. It names the schema of search_unaccent
    -- (this one): pg_restore recreates the generated columns below with
    -- an empty search_path, where an unqualified name is not found.
    EXECUTE format($f$CREATE FUNCTION search_text(text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $b$ SELECT pg_catalog.regexp_replace(%1$I.search_unaccent($1), '[!-/:-@\[-`{-~]', ' ', 'g') $b$$f$, current_schema());
END
$do$;

-- A tsvector holds at most 1 MB of distinct words, more is an error that
-- would refuse the mail: a message's text is indexed up to its first
-- 262,143 characters (at most 4 bytes each), the short fields first.
ALTER TABLE messages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    to_tsvector('simple'::regconfig, left(search_text(subject || ' ' || author_name || ' ' || author_email || ' ' || text_body), 262143))
) STORED;
CREATE INDEX messages_search ON messages USING gin (search_vector);

ALTER TABLE contacts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    to_tsvector('simple'::regconfig, left(search_text(name || ' ' || email), 262143))
) STORED;
CREATE INDEX contacts_search ON contacts USING gin (search_vector);
