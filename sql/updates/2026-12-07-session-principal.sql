-- A live login session is defined once, by refinery_session_principal (see schema.sql, which
-- creates it on every init-db before this runs): the folded check calls it too now, so
-- refinery_require_session, which repeated the definition, goes.
DROP FUNCTION IF EXISTS refinery_require_session(UUID, UUID);
