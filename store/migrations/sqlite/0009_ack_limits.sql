-- Acknowledgements are limited per base address (RFC 5233 detail removed)
-- and per property and hour: both count a property's recent acks, which
-- this index finds without scanning the property's whole outbox.
CREATE INDEX outbox_kind_time ON outbox(property_id, kind, created_at);
