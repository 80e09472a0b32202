-- Assignment, spam senders and the assign-on-answer setting (issue 11
-- items 4, 5 and 9).

-- Round-robin: per department, the member given its last new ticket. The
-- next ticket goes to the first eligible member after her (by member id).
CREATE TABLE assignment_rotation (
    department_id  INTEGER PRIMARY KEY REFERENCES departments(id),
    last_member_id INTEGER NOT NULL REFERENCES members(id)
);

-- Counting a member's open tickets against her capacity.
CREATE INDEX tickets_assignee_status ON tickets (assignee_id, status);

-- An unassigned ticket answered by an agent becomes hers (1: on).
ALTER TABLE properties ADD COLUMN assign_on_answer INTEGER NOT NULL DEFAULT 1;

-- Addresses (base address: lower-case, no +detail) whose new tickets open
-- in the Spam folder.
CREATE TABLE spam_senders (
    property_id INTEGER NOT NULL REFERENCES properties(id),
    address     TEXT    NOT NULL,
    marked_by   TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (property_id, address)
) WITHOUT ROWID;
