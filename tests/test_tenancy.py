"""The second wall between tenants: PostgreSQL row-level security under the app's own role."""

from __future__ import annotations

import psycopg2
import psycopg2.extras
import pytest

from tests.conftest import Auth, make_config

TENANT_TABLES = (
    "users",
    "subscriptions",
    "auth_sessions",
    "api_keys",
    "optimizations",
    "audit_log",
)


@pytest.fixture
def two_orgs(client, auth):
    """Organizations A and B, each with a login session, a key and an optimization."""
    ids = {}
    for slug in ("org-a", "org-b"):
        body = auth.register(slug)
        header = auth.header(body["accessToken"])
        client.post("/api/keys", json={"name": "k"}, headers=header)
        client.post("/api/optimize", json={"text": "Please list 3 colours."}, headers=header)
        ids[slug] = body["organization"]["id"]
    return ids


@pytest.fixture
def app_conn(clean_db):
    """A connection exactly as the service makes them: as refinery_app."""
    conn = psycopg2.connect(
        make_config(clean_db).app_database_url, cursor_factory=psycopg2.extras.RealDictCursor
    )
    conn.autocommit = True
    yield conn
    conn.close()


def _count(conn, table: str, organization: str | None = None) -> int:
    with conn.cursor() as cur:
        if organization:
            cur.execute("SELECT set_config('app.current_org', %s, false)", (organization,))
        cur.execute(f"SELECT count(*) AS n FROM {table}")
        return cur.fetchone()["n"]


def test_the_app_role_neither_owns_the_tables_nor_bypasses_rls(app_conn):
    with app_conn.cursor() as cur:
        cur.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cur.fetchone() == {"rolsuper": False, "rolbypassrls": False}
        cur.execute(
            "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' "
            "AND tableowner = current_user"
        )
        assert cur.fetchone()["n"] == 0
        cur.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND NOT relrowsecurity",
            ([*TENANT_TABLES, "organizations", "provider_configs"],),
        )
        assert cur.fetchall() == []


def test_with_no_organization_set_every_tenant_table_looks_empty(two_orgs, app_conn, clean_db):
    owner = psycopg2.connect(clean_db)
    with owner, owner.cursor() as cur:
        cur.execute("SELECT count(*) FROM optimizations")
        assert cur.fetchone()[0] == 2  # the rows are there
    owner.close()
    for table in (*TENANT_TABLES, "organizations"):
        assert _count(app_conn, table) == 0, table


def test_an_organization_sees_only_its_own_rows(two_orgs, app_conn):
    assert _count(app_conn, "organizations", two_orgs["org-a"]) == 1
    assert _count(app_conn, "optimizations", two_orgs["org-a"]) == 1
    assert _count(app_conn, "api_keys", two_orgs["org-a"]) == 1
    with app_conn.cursor() as cur:
        cur.execute("SELECT DISTINCT organization_id::text AS id FROM users")
        assert [row["id"] for row in cur.fetchall()] == [two_orgs["org-a"]]
        cur.execute(
            "UPDATE subscriptions SET monthly_limit = 1 WHERE organization_id = %s",
            (two_orgs["org-b"],),
        )
        assert cur.rowcount == 0  # B's row is not there to update
        cur.execute("DELETE FROM optimizations WHERE organization_id = %s", (two_orgs["org-b"],))
        assert cur.rowcount == 0


def test_an_insert_naming_another_organization_is_refused(two_orgs, app_conn):
    with app_conn.cursor() as cur:
        cur.execute("SELECT set_config('app.current_org', %s, false)", (two_orgs["org-a"],))
        with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="row-level security"):
            cur.execute(
                "INSERT INTO optimizations (organization_id, provider, strategy, "
                "compression_level, output_format, original_text, original_tokens) "
                "VALUES (%s, 'local', 'UNIVERSAL', 'low', 'default', 'x', 1)",
                (two_orgs["org-b"],),
            )


def test_cross_organization_lookups_go_only_through_the_narrow_functions(two_orgs, app_conn):
    with app_conn.cursor() as cur:
        cur.execute("SELECT email FROM refinery_login_lookup('ADMIN@org-b.example.com')")
        assert cur.fetchall() == [{"email": "admin@org-b.example.com"}]
        cur.execute("SELECT count(*) AS n FROM users WHERE email = 'admin@org-b.example.com'")
        assert cur.fetchone()["n"] == 0
        cur.execute("SELECT * FROM refinery_api_key_principal('not-a-hash')")
        assert cur.fetchall() == []
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("SELECT * FROM schema_migrations")


def test_the_service_itself_connects_as_the_app_role(client, auth):
    body = auth.register("whoami")
    # The request path works end to end under RLS; and the pool's role is refinery_app.
    assert client.get("/api/auth/me", headers=Auth.header(body["accessToken"])).status_code == 200
    from refinery import db

    with client.application.app_context(), db.reading(None) as conn, conn.cursor() as cur:
        cur.execute("SELECT current_user AS role")
        assert cur.fetchone()["role"] == "refinery_app"
