-- The web inbox (issue 15): a member's optional password, per address,
-- kept as a slow hash (bcrypt) only.
CREATE TABLE member_passwords (
    email      TEXT    PRIMARY KEY,
    hash       TEXT    NOT NULL,
    changed_at BIGINT NOT NULL
);
