-- refinery_require_session: the access token's session check, folded into a request's
-- first statement (see schema.sql).
CREATE OR REPLACE FUNCTION refinery_require_session(p_session UUID, p_user UUID)
RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1
        FROM auth_sessions AS s
        JOIN users AS u ON u.id = s.user_id
        WHERE s.id = p_session
          AND s.user_id = p_user
          AND s.revoked_at IS NULL
    ) THEN
        RAISE EXCEPTION 'the session has ended' USING ERRCODE = 'RF401';
    END IF;
END;
$$;

REVOKE ALL ON FUNCTION refinery_require_session(UUID, UUID) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refinery_require_session(UUID, UUID) TO refinery_app;
