-- A property's forwarding mailboxes: the admin's mailbox (Gmail, Outlook,
-- Exchange, a Postfix alias) that forwards its mail to the property. One is
-- added by an admin (postdesk forwarding add) or learned from the provider's
-- confirmation mail, whose code and link are kept until it is confirmed.
CREATE TABLE forwarding (
    property_id   INTEGER NOT NULL REFERENCES properties(id),
    mailbox       TEXT    NOT NULL,
    provider      TEXT    NOT NULL DEFAULT '',
    code          TEXT    NOT NULL DEFAULT '',
    link          TEXT    NOT NULL DEFAULT '',
    confirm_sha256 TEXT   NOT NULL DEFAULT '',
    confirm_at    INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (property_id, mailbox)
);

-- Where a forwarded message was first sent (the property's public address
-- the customer wrote to) and the mailbox that forwarded it.
ALTER TABLE messages ADD COLUMN original_to TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN forwarded_by TEXT NOT NULL DEFAULT '';
