"""Idempotent demo data: two organizations and three members (password `password123`).

Run: python scripts/seed.py   (reads DATABASE_URL and REFINERY_ENV; refuses production)
"""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg2
import psycopg2.extras

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from refinery.config import ConfigError, load_config
from refinery.passwords import hash_password
from refinery.queries import organizations, users

PASSWORD = "password123"  # noqa: S105 - the documented demo password
ORGANIZATIONS = [
    ("Acme Corp", "acme-corp", "pro"),
    ("Tech Startup", "tech-startup", "free"),
]
MEMBERS = [
    ("acme-corp", "admin@acme.com", "Acme Admin", "admin"),
    ("acme-corp", "user@acme.com", "Acme User", "user"),
    ("tech-startup", "admin@techstartup.com", "Startup Admin", "admin"),
]


def find_organization_id(conn, slug: str) -> str:
    """The id of an existing organization by slug."""
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM organizations WHERE slug = %(slug)s", {"slug": slug})
        return cur.fetchone()["id"]


def seed(database_url: str, rounds: int) -> None:
    """Create whatever demo rows are missing; leave existing ones alone."""
    conn = psycopg2.connect(database_url, cursor_factory=psycopg2.extras.RealDictCursor)
    try:
        with conn:
            org_ids = {}
            for name, slug, plan in ORGANIZATIONS:
                org = organizations.create_organization(conn, name, slug, plan)
                org_ids[slug] = org["id"] if org else find_organization_id(conn, slug)
            password_hash = hash_password(PASSWORD, rounds)
            for slug, email, full_name, role in MEMBERS:
                users.create_user(conn, org_ids[slug], email, password_hash, full_name, role)
    finally:
        conn.close()


def main() -> int:
    """Seed the configured database unless it is production."""
    try:
        config = load_config()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    if config.env == "production":
        print("refusing to seed demo data with REFINERY_ENV=production", file=sys.stderr)
        return 1
    seed(config.database_url, config.bcrypt_rounds)
    print("seeded: acme-corp (pro), tech-startup (free); password for all: password123")
    return 0


if __name__ == "__main__":
    sys.exit(main())
