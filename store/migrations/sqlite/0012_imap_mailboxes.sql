-- IMAP mailboxes fetched into a property. url names the server, the user
-- and the folder but never a password: password_file or password_env names
-- where serve reads the secret at each login. uid_validity and last_uid are
-- the fetch position (RFC 9051 §2.3.1.1); they change only in the
-- transaction that stores the message with that UID, so a crash neither
-- loses nor duplicates mail.
CREATE TABLE imap_mailboxes (
    id             INTEGER PRIMARY KEY,
    property_id    INTEGER NOT NULL REFERENCES properties(id),
    url            TEXT    NOT NULL UNIQUE,
    password_file  TEXT    NOT NULL DEFAULT '',
    password_env   TEXT    NOT NULL DEFAULT '',
    move_to        TEXT    NOT NULL DEFAULT '',
    uid_validity   INTEGER NOT NULL DEFAULT 0,
    last_uid       INTEGER NOT NULL DEFAULT 0,
    imported       INTEGER NOT NULL DEFAULT 0,
    skipped        INTEGER NOT NULL DEFAULT 0,
    last_import_at INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT    NOT NULL DEFAULT '',
    last_error_at  INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);
