-- The web inbox (issue 15): sign-in by a one-time link mailed to the
-- member, and sessions. Both keep only the SHA-256 of their secret.
CREATE TABLE login_links (
    id         INTEGER PRIMARY KEY,
    hash       TEXT    NOT NULL UNIQUE,
    email      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX login_links_email ON login_links(email, created_at);

CREATE TABLE web_sessions (
    id         INTEGER PRIMARY KEY,
    hash       TEXT    NOT NULL UNIQUE,
    email      TEXT    NOT NULL,
    csrf       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    seen_at    INTEGER NOT NULL
);
CREATE INDEX web_sessions_email ON web_sessions(email);
