-- A message's raw bytes live in its own row: storing them content-addressed
-- cost a random-keyed index insert per message, and retransmissions are
-- already caught by (property, Message-ID, content hash). Attachments stay
-- in blobs, stored once per hash. Older rows keep raw NULL and are read
-- through raw_sha256.
ALTER TABLE messages ADD COLUMN raw BLOB;

-- UNIQUE (property_id, email) already indexes contacts.
DROP INDEX contacts_email;
