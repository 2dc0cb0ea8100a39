"""Idempotent demo data: two organizations and three members (password `password123`).

Run: python scripts/seed.py   (reads DATABASE_URL and REFINERY_ENV; refuses production)
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import psycopg2
import psycopg2.extras

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from refinery.config import ConfigError, load_config
from refinery.engine.local import LEVELS, STRATEGIES
from refinery.passwords import hash_password
from refinery.pipeline import OptimizeRequest, refine_locally
from refinery.queries import optimizations, organizations, users

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

# Demo prompts, refined by the local engine into each organization's history.
DEMO_PROMPTS = [
    "Could you please write a short, friendly welcome e-mail for new customers who signed up "
    "on our website? I would really appreciate it if you could keep it under 120 words and "
    "make sure that you do not mention pricing. Thank you so much!",
    "I want you to act as a senior Python reviewer. Please review the following function and "
    "basically point out any bugs, and also suggest improvements if there are any. Do not "
    "rewrite the whole thing.\n\n```python\ndef mean(xs):\n    return sum(xs) / len(xs)\n```",
    "Hi! So, I was wondering if you could possibly help me summarize the attached quarterly "
    "report for {audience}. It is really important that the summary is in 3 bullet points "
    "and that it never includes figures that are not in the report.",
    "Please translate the following product description into Spanish and German. Keep the "
    "product name {{product_name}} exactly as it is, and keep the price of $1,250.50 "
    "unchanged. It would be great if the tone is warm but professional.",
    "As a legal assistant, draft a clause stating that the Supplier shall deliver the Goods "
    "within 30 days of the Effective Date, unless otherwise agreed in writing. The term "
    '"Goods" has the meaning given in Section 2.1. Please make sure it is clear and concise.',
    "I would like you to act as a travel planner. Could you kindly create a 5-day itinerary "
    "for Lisbon in May for two people who love food and museums? Please only include places "
    "that are reachable by public transport, and do not include any guided tours.",
]


def find_organization_id(conn, slug: str) -> str:
    """The id of an existing organization by slug."""
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM organizations WHERE slug = %(slug)s", {"slug": slug})
        return cur.fetchone()["id"]


def seed_history(conn, organization_id: str, slug: str) -> None:
    """Give an organization with no history a few dozen optimizations made by the engine."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT EXISTS (SELECT 1 FROM optimizations WHERE organization_id = %(id)s)",
            {"id": organization_id},
        )
        if cur.fetchone()["exists"]:
            return
        cur.execute(
            "SELECT id FROM users WHERE organization_id = %(id)s ORDER BY email",
            {"id": organization_id},
        )
        member_ids = [row["id"] for row in cur.fetchall()]
    combinations = [(s, lv) for s in STRATEGIES for lv in LEVELS]
    for n in range(30 if slug == "acme-corp" else 24):
        strategy, level = combinations[n % len(combinations)]
        request = OptimizeRequest(
            DEMO_PROMPTS[n % len(DEMO_PROMPTS)], "local", strategy, level, "default", None
        )
        principal = {"organization_id": organization_id, "user_id": member_ids[n % len(member_ids)]}
        optimizations.record(conn, refine_locally(principal, request).columns())


def seed(database_url: str, rounds: int) -> None:
    """Create whatever demo rows are missing; leave existing ones alone."""
    conn = psycopg2.connect(database_url, cursor_factory=psycopg2.extras.RealDictCursor)
    try:
        with conn:
            org_ids = {}
            for name, slug, plan in ORGANIZATIONS:
                org = organizations.create_organization(conn, str(uuid.uuid4()), name, slug, plan)
                org_ids[slug] = org["id"] if org else find_organization_id(conn, slug)
            password_hash = hash_password(PASSWORD, rounds)
            for slug, email, full_name, role in MEMBERS:
                users.create_user(conn, org_ids[slug], email, password_hash, full_name, role)
            for slug, organization_id in org_ids.items():
                seed_history(conn, organization_id, slug)
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
    print(
        "seeded: acme-corp (pro), tech-startup (free) with demo history; "
        "password for all: password123"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
