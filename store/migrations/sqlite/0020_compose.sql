-- Saved replies (issue 11): per-property reply templates with placeholders
-- such as {{customer.name}}, checked when added, filled in by plain
-- substitution when an agent replies with one (see desk/templates.go).
CREATE TABLE reply_templates (
    id          INTEGER PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES properties(id),
    name        TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (property_id, name)
);
