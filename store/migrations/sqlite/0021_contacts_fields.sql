-- Contacts and custom fields (issue 11): contact notes, merged contacts,
-- the indexes of a contact's timeline, and per-property custom fields of
-- tickets and contacts.

-- A merged contact stays as an alias: mail from its address belongs to the
-- contact it was merged into.
ALTER TABLE contacts ADD COLUMN merged_into INTEGER REFERENCES contacts(id);
CREATE INDEX contacts_merged ON contacts(merged_into) WHERE merged_into IS NOT NULL;

-- Notes the team keeps on a contact, shown in the contact's timeline.
CREATE TABLE contact_notes (
    id         INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    author     TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX contact_notes_contact ON contact_notes(contact_id, created_at);

-- The timeline: the tickets a contact takes part in, and the mail they
-- wrote (an inbound message's author_id is a contact).
CREATE INDEX ticket_participants_contact ON ticket_participants(contact_id, ticket_id);
CREATE INDEX messages_author ON messages(author_id, created_at) WHERE direction = 'inbound';

-- Custom fields: defined per property for tickets or for contacts.
CREATE TABLE fields (
    id          INTEGER PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES properties(id),
    target      TEXT    NOT NULL,  -- ticket or contact
    name        TEXT    NOT NULL,
    type        TEXT    NOT NULL,  -- text, number, date, choice
    choices     TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    UNIQUE (property_id, target, name)
);

-- A field's value on one ticket or contact (object_id), in its canonical
-- form; no row means no value. The second index answers "tickets whose
-- field F is V" without touching the table.
CREATE TABLE field_values (
    field_id  INTEGER NOT NULL REFERENCES fields(id),
    object_id INTEGER NOT NULL,
    value     TEXT    NOT NULL,
    PRIMARY KEY (field_id, object_id)
) WITHOUT ROWID;
CREATE INDEX field_values_value ON field_values(field_id, value, object_id);
