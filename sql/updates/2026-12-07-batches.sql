-- Batches and their worker claims (see schema.sql): replaces the unused placeholder
-- batch tables, links history rows to their batch, adds the workers' claim functions.

-- Batches (POST /api/batches) and their items, claimed by `flask --app refinery worker`
-- processes. Before 2026-12-07 these two tables were placeholders nothing wrote to: an
-- old-shaped pair (batch_items without lease_until) is replaced.
DO $$
BEGIN
    IF to_regclass('public.batch_items') IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = 'batch_items'
          AND column_name = 'lease_until'
    ) THEN
        DROP TABLE batch_items, batch_jobs CASCADE;
    END IF;
END
$$;

CREATE TABLE IF NOT EXISTS batch_jobs (
    id                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id    UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_by         UUID REFERENCES users (id) ON DELETE SET NULL,
    api_key_id         UUID REFERENCES api_keys (id) ON DELETE SET NULL,
    status             TEXT NOT NULL DEFAULT 'in_progress'
                       CHECK (status IN ('validating', 'in_progress', 'completed', 'cancelling',
                                         'cancelled', 'expired', 'failed')),
    -- The quota period the items were reserved in: refunds go back to it only.
    period_start       TIMESTAMPTZ NOT NULL,
    total_items        INTEGER NOT NULL CHECK (total_items > 0),
    -- Items queued or running; the statement that takes the last one ends the batch.
    remaining_items    INTEGER NOT NULL CHECK (remaining_items >= 0),
    completed_items    INTEGER NOT NULL DEFAULT 0 CHECK (completed_items >= 0),
    failed_items       INTEGER NOT NULL DEFAULT 0 CHECK (failed_items >= 0),
    cancelled_items    INTEGER NOT NULL DEFAULT 0 CHECK (cancelled_items >= 0),
    expired_items      INTEGER NOT NULL DEFAULT 0 CHECK (expired_items >= 0),
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at         TIMESTAMPTZ NOT NULL,
    cancelled_at       TIMESTAMPTZ,
    finished_at        TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS batch_jobs_org_created_idx
    ON batch_jobs (organization_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS batch_jobs_pending_idx
    ON batch_jobs (created_at) WHERE remaining_items > 0;

CREATE TABLE IF NOT EXISTS batch_items (
    id                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id    UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    batch_job_id       UUID NOT NULL REFERENCES batch_jobs (id) ON DELETE CASCADE,
    position           INTEGER NOT NULL CHECK (position >= 0),
    custom_id          TEXT NOT NULL,
    input_text         TEXT NOT NULL,
    provider           TEXT NOT NULL
                       CHECK (provider IN ('local', 'openai', 'anthropic', 'deepseek', 'gemini')),
    model              TEXT,
    strategy           TEXT NOT NULL
                       CHECK (strategy IN ('UNIVERSAL', 'GPT', 'CLAUDE', 'DEEPSEEK', 'LEGAL')),
    compression_level  TEXT NOT NULL CHECK (compression_level IN ('low', 'medium', 'high')),
    output_format      TEXT NOT NULL CHECK (output_format IN ('default', 'markdown', 'json')),
    status             TEXT NOT NULL DEFAULT 'queued'
                       CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled',
                                         'expired')),
    -- The claim: which claim holds the item and until when. A lapsed lease makes a running
    -- item claimable again; completion requires the claim's own token.
    claim_token        UUID,
    lease_until        TIMESTAMPTZ,
    attempts           INTEGER NOT NULL DEFAULT 0,
    error_code         TEXT,
    error_message      TEXT,
    finished_at        TIMESTAMPTZ,
    UNIQUE (batch_job_id, position),
    UNIQUE (batch_job_id, custom_id)
);
CREATE INDEX IF NOT EXISTS batch_items_pending_idx
    ON batch_items (batch_job_id, position) WHERE status IN ('queued', 'running');

-- Fair claiming: when each organization was last given work (read and written only by
-- refinery_claim_batch_items).
CREATE TABLE IF NOT EXISTS batch_turns (
    organization_id  UUID PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    last_claimed_at  TIMESTAMPTZ NOT NULL
);

-- A processed batch item's history row names its batch and item; at most one row per item.
ALTER TABLE optimizations
    ADD COLUMN IF NOT EXISTS batch_id UUID REFERENCES batch_jobs (id) ON DELETE SET NULL;
CREATE UNIQUE INDEX IF NOT EXISTS optimizations_batch_item_idx
    ON optimizations (batch_item_id) WHERE batch_item_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS optimizations_batch_idx
    ON optimizations (batch_id) WHERE batch_id IS NOT NULL;

GRANT SELECT, INSERT, UPDATE, DELETE ON batch_jobs, batch_items TO refinery_app;
ALTER TABLE batch_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE batch_items ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON batch_jobs;
CREATE POLICY tenant_isolation ON batch_jobs
    USING (organization_id = refinery_current_org())
    WITH CHECK (organization_id = refinery_current_org());
DROP POLICY IF EXISTS tenant_isolation ON batch_items;
CREATE POLICY tenant_isolation ON batch_items
    USING (organization_id = refinery_current_org())
    WITH CHECK (organization_id = refinery_current_org());

-- The worker's two lookups that cross organizations (a worker acts for no organization
-- until it holds an item): claim a chunk of items, and find batches past their expiry.
-- Claiming is fair: the organization given work longest ago (or never) goes first, and
-- within it its oldest batch. Queued items of a live batch, and running items whose lease
-- has lapsed (their worker died), are claimable; FOR UPDATE SKIP LOCKED lets any number of
-- workers claim at once without waiting on each other or taking the same item.
CREATE OR REPLACE FUNCTION refinery_claim_batch_items(
    p_token UUID, p_limit INTEGER, p_lease_seconds INTEGER
)
RETURNS TABLE (id UUID, organization_id UUID, batch_job_id UUID, "position" INTEGER,
               custom_id TEXT, input_text TEXT, provider TEXT, model TEXT, strategy TEXT,
               compression_level TEXT, output_format TEXT, created_by UUID, api_key_id UUID)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    v_batch UUID;
    v_org UUID;
BEGIN
    SELECT b.id, b.organization_id INTO v_batch, v_org
    FROM batch_jobs AS b
    LEFT JOIN batch_turns AS t ON t.organization_id = b.organization_id
    WHERE b.remaining_items > 0
      AND EXISTS (
          SELECT 1 FROM batch_items AS i
          WHERE i.batch_job_id = b.id
            AND i.status IN ('queued', 'running')
            AND ((i.status = 'queued' AND b.status = 'in_progress' AND b.expires_at > now())
                 OR (i.status = 'running' AND i.lease_until < now()))
      )
    ORDER BY t.last_claimed_at NULLS FIRST, b.created_at, b.id
    LIMIT 1;
    IF v_batch IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO batch_turns AS t (organization_id, last_claimed_at)
    VALUES (v_org, clock_timestamp())
    ON CONFLICT (organization_id) DO UPDATE SET last_claimed_at = excluded.last_claimed_at;
    RETURN QUERY
    WITH picked AS (
        SELECT i.id
        FROM batch_items AS i
        JOIN batch_jobs AS b ON b.id = i.batch_job_id
        WHERE i.batch_job_id = v_batch
          AND i.status IN ('queued', 'running')
          AND ((i.status = 'queued' AND b.status = 'in_progress' AND b.expires_at > now())
               OR (i.status = 'running' AND i.lease_until < now()))
        ORDER BY i.position
        LIMIT p_limit
        FOR UPDATE OF i SKIP LOCKED
    )
    UPDATE batch_items AS i
    SET status = 'running',
        claim_token = p_token,
        lease_until = now() + make_interval(secs => p_lease_seconds),
        attempts = i.attempts + 1
    FROM picked AS p, batch_jobs AS b
    WHERE i.id = p.id
      AND b.id = i.batch_job_id
    RETURNING i.id, i.organization_id, i.batch_job_id, i.position, i.custom_id, i.input_text,
              i.provider, i.model, i.strategy, i.compression_level, i.output_format,
              b.created_by, b.api_key_id;
END;
$$;

CREATE OR REPLACE FUNCTION refinery_expired_batches(p_limit INTEGER)
RETURNS TABLE (id UUID, organization_id UUID)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT b.id, b.organization_id
    FROM batch_jobs AS b
    WHERE b.status = 'in_progress'
      AND b.remaining_items > 0
      AND b.expires_at <= now()
    ORDER BY b.expires_at
    LIMIT p_limit
$$;

REVOKE ALL ON FUNCTION refinery_claim_batch_items(UUID, INTEGER, INTEGER) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refinery_claim_batch_items(UUID, INTEGER, INTEGER) TO refinery_app;
REVOKE ALL ON FUNCTION refinery_expired_batches(INTEGER) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refinery_expired_batches(INTEGER) TO refinery_app;
