"""Organizations and their subscription (plan and monthly counter)."""

from __future__ import annotations

from psycopg2.extensions import connection

from refinery.queries.run import execute, fetch_one

PLAN_LIMITS = {"free": 1_000, "pro": 10_000}

CREATE_ORGANIZATION = """
INSERT INTO organizations (id, name, slug)
VALUES (%(id)s, %(name)s, %(slug)s)
ON CONFLICT (slug) DO NOTHING
RETURNING id, name, slug, created_at
"""

CREATE_SUBSCRIPTION = """
INSERT INTO subscriptions (organization_id, plan, monthly_limit)
VALUES (%(organization_id)s, %(plan)s, %(limit)s)
"""

# The counter as the current period sees it: a stale period counts as zero used.
GET_ORGANIZATION = """
SELECT o.id, o.name, o.slug, o.created_at,
       s.plan,
       s.monthly_limit,
       CASE WHEN s.period_start < date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
            THEN 0 ELSE s.used_requests END AS used_requests,
       (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC'
           AS reset_at,
       (SELECT count(*) FROM users AS u WHERE u.organization_id = o.id) AS member_count
FROM organizations AS o
JOIN subscriptions AS s ON s.organization_id = o.id
WHERE o.id = %(organization_id)s
"""

RENAME = """
UPDATE organizations
SET name = %(name)s,
    updated_at = now()
WHERE id = %(organization_id)s
"""

SET_PLAN = """
UPDATE subscriptions AS s
SET plan = %(plan)s,
    monthly_limit = %(monthly_limit)s,
    updated_at = now()
FROM organizations AS o
WHERE o.id = s.organization_id
  AND o.slug = %(slug)s
RETURNING o.id AS organization_id, s.plan, s.monthly_limit
"""


def create_organization(
    conn: connection, organization_id: str, name: str, slug: str, plan: str = "free"
) -> dict | None:
    """Insert an organization and its subscription; None when the slug is taken."""
    org = fetch_one(conn, CREATE_ORGANIZATION, {"id": organization_id, "name": name, "slug": slug})
    if org is None:
        return None
    execute(
        conn,
        CREATE_SUBSCRIPTION,
        {"organization_id": org["id"], "plan": plan, "limit": PLAN_LIMITS[plan]},
    )
    return {**org, "plan": plan}


def get_organization(conn: connection, organization_id: str) -> dict | None:
    """The organization with its plan and current-period usage."""
    return fetch_one(conn, GET_ORGANIZATION, {"organization_id": organization_id})


def rename(conn: connection, organization_id: str, name: str) -> None:
    """Change the organization's display name."""
    execute(conn, RENAME, {"organization_id": organization_id, "name": name})


def set_plan(conn: connection, slug: str, plan: str, monthly_limit: int) -> dict | None:
    """Put an organization on a plan with its monthly limit; None when no such slug."""
    return fetch_one(conn, SET_PLAN, {"slug": slug, "plan": plan, "monthly_limit": monthly_limit})
