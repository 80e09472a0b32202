-- How far `postdesk import` got in each source (an mbox file or a Maildir),
-- per property: written in the transaction of the batch it follows, so an
-- interrupted import resumes after the last batch that committed.
CREATE TABLE import_checkpoints (
    property_id BIGINT NOT NULL REFERENCES properties(id),
    source      TEXT NOT NULL,
    position    TEXT NOT NULL,
    imported    BIGINT NOT NULL DEFAULT 0,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (property_id, source)
);
