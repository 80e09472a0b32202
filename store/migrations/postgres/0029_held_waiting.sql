-- Held mail still waiting for a decision, by property: what `held list`
-- shows and what the held-mail gauge of /metrics counts (store/gauges.go),
-- read without scanning every mail ever held.
CREATE INDEX held_waiting ON held(property_id, id) WHERE status = 'held';
