-- Prompt Refinery: the one schema source. Applying it twice is harmless.
-- Later changes go in sql/updates/YYYY-MM-DD-name.sql, recorded in schema_migrations.
-- Every tenant-owned table carries organization_id; every list has an index on
-- (organization_id, created_at DESC, id DESC) so pages are index scans.

CREATE TABLE IF NOT EXISTS schema_migrations (
    version     TEXT PRIMARY KEY,
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS organizations (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name        TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    slug        TEXT NOT NULL UNIQUE
                CHECK (slug ~ '^[a-z0-9](-?[a-z0-9])*$' AND char_length(slug) BETWEEN 3 AND 63),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS users (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email            TEXT NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    password_hash    TEXT NOT NULL,
    full_name        TEXT NOT NULL CHECK (char_length(full_name) BETWEEN 1 AND 255),
    role             TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user')),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_login_at    TIMESTAMPTZ
);
-- E-mail is unique across the whole service, whatever its letter case.
CREATE UNIQUE INDEX IF NOT EXISTS users_email_lower_key ON users (lower(email));
CREATE INDEX IF NOT EXISTS users_org_created_idx
    ON users (organization_id, created_at DESC, id DESC);

-- One row per organization: the plan and the monthly request counter.
CREATE TABLE IF NOT EXISTS subscriptions (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id  UUID NOT NULL UNIQUE REFERENCES organizations (id) ON DELETE CASCADE,
    plan             TEXT NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro', 'enterprise')),
    monthly_limit    INTEGER NOT NULL CHECK (monthly_limit >= 0),
    used_requests    INTEGER NOT NULL DEFAULT 0 CHECK (used_requests >= 0),
    -- The first instant (UTC) of the month that used_requests counts.
    period_start     TIMESTAMPTZ NOT NULL
                     DEFAULT (date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per login: refresh tokens rotate inside it. Presenting a refresh token that is
-- not the session's current one is reuse, and revokes the whole session.
CREATE TABLE IF NOT EXISTS auth_sessions (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id          UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_jti      TEXT NOT NULL,
    client_ip        TEXT,
    user_agent       TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    refreshed_at     TIMESTAMPTZ,
    expires_at       TIMESTAMPTZ NOT NULL,
    revoked_at       TIMESTAMPTZ,
    revoked_reason   TEXT CHECK (revoked_reason IN ('logout', 'reuse', 'password_change',
                                                    'member_removed', 'admin'))
);
CREATE INDEX IF NOT EXISTS auth_sessions_user_idx ON auth_sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX IF NOT EXISTS auth_sessions_org_created_idx
    ON auth_sessions (organization_id, created_at DESC, id DESC);

-- Password checks, reserved before bcrypt runs: one counter per account (lower-case
-- e-mail) and one per client address, over a fixed window that starts with its first
-- attempt. The reservation is one INSERT ... ON CONFLICT DO UPDATE, so concurrent attempts
-- cannot both see room under the limit; a check that succeeds gives its reservation back.
CREATE TABLE IF NOT EXISTS login_attempts (
    scope         TEXT NOT NULL CHECK (scope IN ('account', 'client')),
    key           TEXT NOT NULL,
    attempts      INTEGER NOT NULL CHECK (attempts >= 0),
    window_start  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX IF NOT EXISTS login_attempts_window_idx ON login_attempts (window_start);

CREATE TABLE IF NOT EXISTS api_keys (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_by       UUID REFERENCES users (id) ON DELETE SET NULL,
    name             TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    prefix           TEXT NOT NULL,
    key_hash         TEXT NOT NULL UNIQUE,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at     TIMESTAMPTZ,
    revoked_at       TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS api_keys_org_created_idx
    ON api_keys (organization_id, created_at DESC, id DESC);

CREATE TABLE IF NOT EXISTS provider_configs (
    id                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id    UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    provider           TEXT NOT NULL CHECK (provider IN ('openai', 'anthropic', 'deepseek', 'gemini')),
    api_key_encrypted  TEXT NOT NULL,
    key_hint           TEXT NOT NULL,
    model              TEXT,
    endpoint           TEXT,
    is_active          BOOLEAN NOT NULL DEFAULT true,
    created_by         UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (organization_id, provider)
);

CREATE TABLE IF NOT EXISTS optimizations (
    id                      UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- Who asked: a member or an API key. History outlives both.
    user_id                 UUID REFERENCES users (id) ON DELETE SET NULL,
    api_key_id              UUID REFERENCES api_keys (id) ON DELETE SET NULL,
    provider                TEXT NOT NULL
                            CHECK (provider IN ('local', 'openai', 'anthropic', 'deepseek', 'gemini')),
    model                   TEXT,
    strategy                TEXT NOT NULL
                            CHECK (strategy IN ('UNIVERSAL', 'GPT', 'CLAUDE', 'DEEPSEEK', 'LEGAL')),
    compression_level       TEXT NOT NULL CHECK (compression_level IN ('low', 'medium', 'high')),
    output_format           TEXT NOT NULL CHECK (output_format IN ('default', 'markdown', 'json')),
    -- pending: charged, the provider call not finished yet (see the settle statements in
    -- refinery/queries/optimizations.py); completed and pending rows are what used_requests counts.
    status                  TEXT NOT NULL DEFAULT 'completed'
                            CHECK (status IN ('pending', 'completed', 'failed')),
    original_text           TEXT NOT NULL,
    refined_text            TEXT,
    tokenizer               TEXT NOT NULL DEFAULT 'o200k_base',
    original_tokens         INTEGER NOT NULL CHECK (original_tokens >= 0),
    refined_tokens          INTEGER CHECK (refined_tokens >= 0),
    tokens_saved            INTEGER,
    savings_percentage      NUMERIC(5, 2),
    removed_segments        JSONB NOT NULL DEFAULT '[]',
    warnings                JSONB NOT NULL DEFAULT '[]',
    provider_input_tokens   INTEGER,
    provider_output_tokens  INTEGER,
    duration_ms             INTEGER,
    error_code              TEXT,
    batch_item_id           UUID,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS optimizations_org_created_idx
    ON optimizations (organization_id, created_at DESC, id DESC);
-- The calls in flight: the sweep of stale pending rows reads only this small index.
CREATE INDEX IF NOT EXISTS optimizations_pending_idx
    ON optimizations (organization_id, created_at) WHERE status = 'pending';

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

-- Invitations to join an organization. Only the token's SHA-256 is stored; the address
-- belongs to nobody until the invitation is accepted (a member is created then).
CREATE TABLE IF NOT EXISTS invitations (
    id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id   UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email             TEXT NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    role              TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user')),
    token_hash        TEXT NOT NULL UNIQUE,
    invited_by        UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at        TIMESTAMPTZ NOT NULL,
    accepted_at       TIMESTAMPTZ,
    accepted_user_id  UUID REFERENCES users (id) ON DELETE SET NULL,
    revoked_at        TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS invitations_org_created_idx
    ON invitations (organization_id, created_at DESC, id DESC);

-- Append-only record of who did what. organization_id is NULL only for events that
-- belong to no organization (a failed login for an unknown e-mail). The actor ids are
-- deliberately not foreign keys: the trail keeps naming a member after they are removed.
CREATE TABLE IF NOT EXISTS audit_log (
    id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id   UUID REFERENCES organizations (id) ON DELETE CASCADE,
    actor_user_id     UUID,
    actor_api_key_id  UUID,
    -- Kept as text too: the audit trail outlives a removed member.
    actor_email       TEXT,
    action            TEXT NOT NULL,
    target_type       TEXT,
    target_id         TEXT,
    client_ip         TEXT,
    details           JSONB NOT NULL DEFAULT '{}',
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS audit_log_org_created_idx
    ON audit_log (organization_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS audit_log_org_action_created_idx
    ON audit_log (organization_id, action, created_at DESC, id DESC);

-- The audit trail is append-only: no statement may change a row once written.
CREATE OR REPLACE FUNCTION audit_log_refuse_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_update();

-- ---------------------------------------------------------------------------------------
-- A second wall between tenants: row-level security.
-- The application connects as refinery_app, which owns nothing and cannot bypass RLS.
-- Every statement it sends first sets app.current_org (transaction-local); each policy
-- shows and accepts only that organization's rows. With no organization set, nothing.
-- ---------------------------------------------------------------------------------------
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'refinery_app') THEN
        CREATE ROLE refinery_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO refinery_app;
GRANT SELECT, INSERT, UPDATE, DELETE
    ON organizations, users, subscriptions, auth_sessions, api_keys, provider_configs,
       optimizations, batch_jobs, batch_items, invitations
    TO refinery_app;
GRANT SELECT, INSERT ON audit_log TO refinery_app;
-- Password checks are counted by e-mail and address, before any organization is known.
GRANT SELECT, INSERT, UPDATE, DELETE ON login_attempts TO refinery_app;

CREATE OR REPLACE FUNCTION refinery_current_org() RETURNS uuid
LANGUAGE sql STABLE AS $$
    -- After a transaction-local setting ends, the variable reads '' rather than NULL.
    SELECT NULLIF(current_setting('app.current_org', true), '')::uuid
$$;

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON organizations;
CREATE POLICY tenant_isolation ON organizations
    USING (id = refinery_current_org())
    WITH CHECK (id = refinery_current_org());

DO $$
DECLARE
    tenant_table TEXT;
BEGIN
    FOREACH tenant_table IN ARRAY ARRAY['users', 'subscriptions', 'auth_sessions', 'api_keys',
                                         'provider_configs', 'optimizations', 'batch_jobs',
                                         'batch_items', 'invitations']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', tenant_table);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I '
                       'USING (organization_id = refinery_current_org()) '
                       'WITH CHECK (organization_id = refinery_current_org())', tenant_table);
    END LOOP;
END
$$;

-- A failed login for an e-mail nobody has belongs to no organization: it may be written,
-- and is seen by nobody through the application.
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON audit_log;
CREATE POLICY tenant_isolation ON audit_log
    USING (organization_id = refinery_current_org())
    WITH CHECK (organization_id IS NULL OR organization_id = refinery_current_org());

-- The one definition of a live login session: the member behind it (id, organization,
-- current role, e-mail), or SQLSTATE RF401 when the session was ended (or is not this
-- organization's: row-level security hides it). Called alone for a principal
-- (refinery/queries/sessions.py), or in front of a request's statement in the same message
-- (refinery/db.py), so that the statement after it never runs for an ended session.
-- Not SECURITY DEFINER: it sees what the caller's organization sees.
CREATE OR REPLACE FUNCTION refinery_session_principal(p_session UUID, p_user UUID)
RETURNS TABLE (user_id UUID, api_key_id UUID, organization_id UUID, role TEXT, email TEXT,
               session_id UUID)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    SELECT u.id, NULL::uuid, u.organization_id, u.role, u.email, s.id
    FROM auth_sessions AS s
    JOIN users AS u ON u.id = s.user_id
    WHERE s.id = p_session
      AND s.user_id = p_user
      AND s.revoked_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the session has ended' USING ERRCODE = 'RF401';
    END IF;
END;
$$;

-- The two lookups that must cross organizations, as narrow SECURITY DEFINER functions:
-- a member by e-mail (login), and a live API key by its hash (which stamps last_used_at
-- at most once a minute).
CREATE OR REPLACE FUNCTION refinery_login_lookup(p_email TEXT)
RETURNS TABLE (id UUID, organization_id UUID, email TEXT, full_name TEXT, role TEXT,
               created_at TIMESTAMPTZ, last_login_at TIMESTAMPTZ, password_hash TEXT)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT u.id, u.organization_id, u.email, u.full_name, u.role, u.created_at,
           u.last_login_at, u.password_hash
    FROM users AS u
    WHERE lower(u.email) = lower(p_email)
$$;

CREATE OR REPLACE FUNCTION refinery_api_key_principal(p_key_hash TEXT)
RETURNS TABLE (api_key_id UUID, organization_id UUID)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH found AS (
        SELECT k.id, k.organization_id, k.last_used_at
        FROM api_keys AS k
        WHERE k.key_hash = p_key_hash
          AND k.revoked_at IS NULL
    ), touched AS (
        UPDATE api_keys AS k
        SET last_used_at = now()
        FROM found AS f
        WHERE k.id = f.id
          AND (f.last_used_at IS NULL OR f.last_used_at < now() - interval '1 minute')
        RETURNING k.id
    )
    SELECT f.id, f.organization_id
    FROM found AS f
$$;

-- An invitation by its token's hash, while it can still be accepted (accepting needs its
-- organization before it is known).
CREATE OR REPLACE FUNCTION refinery_invitation_lookup(p_token_hash TEXT)
RETURNS TABLE (id UUID, organization_id UUID, email TEXT, role TEXT)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT i.id, i.organization_id, i.email, i.role
    FROM invitations AS i
    WHERE i.token_hash = p_token_hash
      AND i.accepted_at IS NULL
      AND i.revoked_at IS NULL
      AND i.expires_at > now()
$$;

REVOKE ALL ON FUNCTION refinery_login_lookup(TEXT) FROM PUBLIC;
REVOKE ALL ON FUNCTION refinery_invitation_lookup(TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refinery_invitation_lookup(TEXT) TO refinery_app;
REVOKE ALL ON FUNCTION refinery_api_key_principal(TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refinery_login_lookup(TEXT) TO refinery_app;
GRANT EXECUTE ON FUNCTION refinery_api_key_principal(TEXT) TO refinery_app;
REVOKE ALL ON FUNCTION refinery_session_principal(UUID, UUID) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refinery_session_principal(UUID, UUID) TO refinery_app;

-- GET /ready checks that every update in sql/updates/ is applied: the service may learn
-- which are, and nothing else of schema_migrations. A database where init-db has not run
-- since lacks the function, which /ready reports as a schema behind.
CREATE OR REPLACE FUNCTION refinery_applied_updates()
RETURNS SETOF TEXT
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT version FROM schema_migrations
$$;
REVOKE ALL ON FUNCTION refinery_applied_updates() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refinery_applied_updates() TO refinery_app;

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
