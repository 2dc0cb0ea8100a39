-- A provider call's charge and its history row are one fact: the reservation inserts a
-- 'pending' row in the statement that charges, and finishing updates it.
ALTER TABLE optimizations DROP CONSTRAINT IF EXISTS optimizations_status_check;
ALTER TABLE optimizations
    ADD CONSTRAINT optimizations_status_check CHECK (status IN ('pending', 'completed', 'failed'));
CREATE INDEX IF NOT EXISTS optimizations_pending_idx
    ON optimizations (organization_id, created_at) WHERE status = 'pending';
