-- Properties, their addresses, members and departments.
CREATE TABLE properties (
    id                 INTEGER PRIMARY KEY,
    slug               TEXT    NOT NULL UNIQUE,
    name               TEXT    NOT NULL,
    from_name          TEXT    NOT NULL,
    from_address       TEXT    NOT NULL,
    tag_format         TEXT    NOT NULL DEFAULT '[#%d]',
    next_ticket_number INTEGER NOT NULL DEFAULT 1,
    created_at         INTEGER NOT NULL
);

CREATE TABLE property_addresses (
    address     TEXT    PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES properties(id)
);
CREATE INDEX property_addresses_property ON property_addresses(property_id);

CREATE TABLE members (
    id          INTEGER PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES properties(id),
    email       TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (property_id, email)
);

CREATE TABLE departments (
    id          INTEGER PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES properties(id),
    name        TEXT    NOT NULL,
    is_default  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (property_id, name)
);

CREATE TABLE department_members (
    department_id INTEGER NOT NULL REFERENCES departments(id),
    member_id     INTEGER NOT NULL REFERENCES members(id),
    PRIMARY KEY (department_id, member_id)
);

-- Contacts and tickets.
CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES properties(id),
    email       TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (property_id, email)
);

CREATE TABLE tickets (
    id            INTEGER PRIMARY KEY,
    property_id   INTEGER NOT NULL REFERENCES properties(id),
    number        INTEGER NOT NULL,
    subject       TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    priority      TEXT    NOT NULL,
    requester_id  INTEGER NOT NULL REFERENCES contacts(id),
    assignee_id   INTEGER REFERENCES members(id),
    department_id INTEGER REFERENCES departments(id),
    linked_id     INTEGER REFERENCES tickets(id),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (property_id, number)
);

CREATE TABLE ticket_participants (
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    role       TEXT    NOT NULL,
    PRIMARY KEY (ticket_id, contact_id)
);

-- Content-addressed bytes: raw messages and attachment contents, stored once.
CREATE TABLE blobs (
    sha256 TEXT    PRIMARY KEY,
    size   INTEGER NOT NULL,
    data   BLOB    NOT NULL
);

CREATE TABLE messages (
    id             INTEGER PRIMARY KEY,
    property_id    INTEGER NOT NULL REFERENCES properties(id),
    ticket_id      INTEGER NOT NULL REFERENCES tickets(id),
    direction      TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    author_id      INTEGER NOT NULL,
    author_email   TEXT    NOT NULL,
    author_name    TEXT    NOT NULL,
    message_id     TEXT    NOT NULL,
    synthetic_id   INTEGER NOT NULL,
    in_reply_to    TEXT    NOT NULL,
    refs           TEXT    NOT NULL,
    reply_to       TEXT    NOT NULL,
    to_addrs       TEXT    NOT NULL,
    cc_addrs       TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    sent_at        INTEGER NOT NULL,
    text_body      TEXT    NOT NULL,
    html_body      TEXT    NOT NULL,
    raw_sha256     TEXT    NOT NULL,
    raw_size       INTEGER NOT NULL,
    content_hash   TEXT    NOT NULL,
    warnings       TEXT    NOT NULL,
    auto_reply     INTEGER NOT NULL,
    thread         TEXT    NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX messages_ticket ON messages(ticket_id, id);
CREATE INDEX messages_dedup ON messages(property_id, message_id, content_hash);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES messages(id),
    filename     TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT    NOT NULL,
    content_id   TEXT    NOT NULL,
    inline       INTEGER NOT NULL
);
CREATE INDEX attachments_message ON attachments(message_id);

-- The append-only event log of each ticket.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    kind       TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX events_ticket ON events(ticket_id, id);
