-- Webhook endpoints, the event outbox, deliveries and attempts (see schema.sql).
-- Webhooks: an organization's endpoints, the events written in the same transaction as the
-- change they report (the outbox), one delivery per event and endpoint, and every attempt.
CREATE TABLE IF NOT EXISTS webhook_endpoints (
    id                          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id             UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url                         TEXT NOT NULL,
    event_types                 TEXT[] NOT NULL,
    -- whsec_ secrets, encrypted with ENCRYPTION_KEY (they must be read back to sign).
    secret_encrypted            TEXT NOT NULL,
    previous_secret_encrypted   TEXT,
    previous_secret_expires_at  TIMESTAMPTZ,
    enabled                     BOOLEAN NOT NULL DEFAULT true,
    disabled_reason             TEXT,
    created_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS webhook_endpoints_org_idx
    ON webhook_endpoints (organization_id, created_at DESC, id DESC);

CREATE TABLE IF NOT EXISTS webhook_events (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL,
    payload          JSONB NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    endpoint_id      UUID NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         UUID NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    claim_token      UUID,
    lease_until      TIMESTAMPTZ,
    last_status      INTEGER,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at      TIMESTAMPTZ,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due_idx
    ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_endpoint_idx
    ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);

CREATE TABLE IF NOT EXISTS webhook_attempts (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    delivery_id      UUID NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt          INTEGER NOT NULL,
    status_code      INTEGER,
    error            TEXT,
    duration_ms      INTEGER NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS webhook_attempts_delivery_idx
    ON webhook_attempts (delivery_id, attempt);

GRANT SELECT, INSERT, UPDATE, DELETE
    ON webhook_endpoints, webhook_events, webhook_deliveries, webhook_attempts
    TO refinery_app;

DO $$
DECLARE
    tenant_table TEXT;
BEGIN
    FOREACH tenant_table IN ARRAY ARRAY['webhook_endpoints', 'webhook_events',
                                         'webhook_deliveries', 'webhook_attempts']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', tenant_table);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I '
                       'USING (organization_id = refinery_current_org()) '
                       'WITH CHECK (organization_id = refinery_current_org())', tenant_table);
    END LOOP;
END
$$;

-- Record an event and queue it for every enabled endpoint of the organization that takes
-- its type; called by the triggers below, so inside the transaction of the change.
CREATE OR REPLACE FUNCTION refinery_webhook_event(p_org UUID, p_type TEXT, p_payload JSONB)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_event UUID;
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM webhook_endpoints AS w
        WHERE w.organization_id = p_org AND w.enabled AND p_type = ANY (w.event_types)
    ) THEN
        RETURN;
    END IF;
    INSERT INTO webhook_events (organization_id, event_type, payload)
    VALUES (p_org, p_type, p_payload)
    RETURNING id INTO v_event;
    INSERT INTO webhook_deliveries (organization_id, endpoint_id, event_id)
    SELECT p_org, w.id, v_event
    FROM webhook_endpoints AS w
    WHERE w.organization_id = p_org AND w.enabled AND p_type = ANY (w.event_types);
END;
$$;

-- batch.completed, batch.failed, batch.cancelled, batch.expired: when a batch ends.
CREATE OR REPLACE FUNCTION refinery_batch_ended() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refinery_webhook_event(
        NEW.organization_id,
        'batch.' || NEW.status,
        jsonb_build_object(
            'id', NEW.id, 'status', NEW.status, 'total', NEW.total_items,
            'completed', NEW.completed_items, 'failed', NEW.failed_items,
            'cancelled', NEW.cancelled_items, 'expired', NEW.expired_items));
    RETURN NULL;
END;
$$;
DROP TRIGGER IF EXISTS batch_ended ON batch_jobs;
CREATE TRIGGER batch_ended AFTER UPDATE OF status ON batch_jobs
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          AND NEW.status IN ('completed', 'failed', 'cancelled', 'expired'))
    EXECUTE FUNCTION refinery_batch_ended();

-- quota.threshold: when this month's count reaches 80% or 100% of the allowance.
CREATE OR REPLACE FUNCTION refinery_quota_crossed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_before INTEGER := CASE WHEN OLD.period_start < NEW.period_start THEN 0
                             ELSE OLD.used_requests END;
    v_percent INTEGER;
BEGIN
    FOREACH v_percent IN ARRAY ARRAY[80, 100]
    LOOP
        IF NEW.monthly_limit > 0
           AND v_before * 100 < NEW.monthly_limit * v_percent
           AND NEW.used_requests * 100 >= NEW.monthly_limit * v_percent THEN
            PERFORM refinery_webhook_event(
                NEW.organization_id,
                'quota.threshold',
                jsonb_build_object(
                    'threshold', v_percent, 'used', NEW.used_requests,
                    'limit', NEW.monthly_limit, 'periodStart', NEW.period_start));
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;
DROP TRIGGER IF EXISTS quota_crossed ON subscriptions;
CREATE TRIGGER quota_crossed AFTER UPDATE OF used_requests ON subscriptions
    FOR EACH ROW
    WHEN (NEW.used_requests > OLD.used_requests OR NEW.period_start > OLD.period_start)
    EXECUTE FUNCTION refinery_quota_crossed();

-- The workers' claim on due deliveries, across organizations (as for batch items).
CREATE OR REPLACE FUNCTION refinery_claim_webhook_deliveries(
    p_token UUID, p_limit INTEGER, p_lease_seconds INTEGER
)
RETURNS TABLE (id UUID, organization_id UUID, endpoint_id UUID, url TEXT,
               secret_encrypted TEXT, previous_secret_encrypted TEXT,
               previous_secret_expires_at TIMESTAMPTZ, attempts INTEGER, event_id UUID,
               event_type TEXT, payload JSONB, event_created_at TIMESTAMPTZ)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH due AS (
        SELECT d.id
        FROM webhook_deliveries AS d
        JOIN webhook_endpoints AS w ON w.id = d.endpoint_id
        WHERE d.status = 'pending'
          AND d.next_attempt_at <= now()
          AND (d.lease_until IS NULL OR d.lease_until < now())
          AND w.enabled
        ORDER BY d.next_attempt_at
        LIMIT p_limit
        FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE webhook_deliveries AS d
    SET claim_token = p_token,
        lease_until = now() + make_interval(secs => p_lease_seconds),
        attempts = d.attempts + 1
    FROM due, webhook_endpoints AS w, webhook_events AS e
    WHERE d.id = due.id AND w.id = d.endpoint_id AND e.id = d.event_id
    RETURNING d.id, d.organization_id, d.endpoint_id, w.url, w.secret_encrypted,
              w.previous_secret_encrypted, w.previous_secret_expires_at, d.attempts,
              e.id, e.event_type, e.payload, e.created_at
$$;
REVOKE ALL ON FUNCTION refinery_claim_webhook_deliveries(UUID, INTEGER, INTEGER) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refinery_claim_webhook_deliveries(UUID, INTEGER, INTEGER)
    TO refinery_app;
