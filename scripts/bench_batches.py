"""Batch throughput on the local engine: items/second for 1 and 2 workers, and 10,000 end to end.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python scripts/bench_batches.py [--items 2000] [--big 10000]

Makes a throwaway database (refinery_bench_batches) on DATABASE_URL's server (else the
embedded one), creates batches through the real app, and times real `flask --app refinery
worker` processes until each batch has ended. Not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from refinery import create_app  # noqa: E402
from refinery.config import load_config  # noqa: E402
from refinery.embedded import ensure_database, server_url  # noqa: E402
from refinery.schema import apply_schema  # noqa: E402

PROMPTS = (
    "Please could you kindly write a short, friendly summary of the following meeting notes "
    "for the team, and basically make sure that you do not include any of the budget figures.",
    "I would like you to act as a senior reviewer and, if possible, list the three most "
    "important risks in the plan below, in order of their likely impact on the launch date.",
)


def environment(database_url: str) -> dict[str, str]:
    """The service's settings for the benchmark (big bodies, no per-minute limits)."""
    return {
        "REFINERY_ENV": "development",
        "DATABASE_URL": database_url,
        "JWT_SECRET": "bench-secret-that-is-at-least-32-bytes-long!",
        "ENCRYPTION_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "BCRYPT_ROUNDS": "4",
        "LOG_LEVEL": "WARNING",
        "MAX_BODY_BYTES": str(16 << 20),
        "RATE_LIMITS_ENABLED": "false",
        "WORKER_POLL_INTERVAL": "0.05",
    }


def batch_status(database_url: str, batch_id: str) -> tuple[str, int]:
    """(status, items finished) of a batch, read as the owner."""
    conn = psycopg2.connect(database_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "SELECT status, completed_items + failed_items FROM batch_jobs WHERE id = %s",
                (batch_id,),
            )
            return cur.fetchone()
    finally:
        conn.close()


def run(client, header: dict, database_url: str, items: int, workers: int) -> dict:
    """Create a batch of `items`, start `workers` processes, time until it has ended."""
    body = {
        "items": [
            {"customId": f"p{n}", "text": f"{PROMPTS[n % 2]} (Prompt {n}.)"} for n in range(items)
        ]
    }
    started = time.perf_counter()
    response = client.post("/api/batches", json=body, headers=header)
    assert response.status_code == 202, response.get_json()
    created = time.perf_counter()
    batch_id = response.get_json()["id"]
    env = {**os.environ, **environment(database_url)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "refinery", "worker"], cwd=ROOT, env=env
        )
        for _ in range(workers)
    ]
    first_done = None
    try:
        while True:
            status, done = batch_status(database_url, batch_id)
            if first_done is None and done > 0:
                first_done = time.perf_counter()
            if status != "in_progress":
                break
            time.sleep(0.02)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
    ended = time.perf_counter()
    # Throughput from the first finished item: worker start-up (imports) is not processing.
    return {
        "items": items,
        "workers": workers,
        "status": status,
        "create_s": created - started,
        "total_s": ended - started,
        "items_per_s": items / (ended - (first_done or created)),
    }


def main() -> None:
    """Run the three measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000, help="items per throughput run")
    parser.add_argument("--big", type=int, default=10_000, help="items in the end-to-end run")
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL") or server_url()
    database_url = ensure_database(
        server, "refinery_bench_batches", fresh=True, synchronous_commit="off"
    )
    apply_schema(database_url)
    app = create_app(load_config(environment(database_url)))
    client = app.test_client()
    registered = client.post(
        "/api/auth/register",
        json={
            "email": "bench@example.com",
            "password": "bench-password-1",
            "fullName": "Bench",
            "organizationName": "Bench",
            "organizationSlug": "bench",
        },
    ).get_json()
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE subscriptions SET monthly_limit = 10000000")
    conn.close()
    header = {"Authorization": f"Bearer {registered['accessToken']}"}
    results = [
        run(client, header, database_url, args.items, 1),
        run(client, header, database_url, args.items, 2),
        run(client, header, database_url, args.big, 2),
    ]
    heading = ("items", "workers", "status", "create s", "total s", "items/s")
    print("{:>6} {:>7} {:>10} {:>9} {:>8} {:>8}".format(*heading))
    for r in results:
        print(
            f"{r['items']:>6} {r['workers']:>7} {r['status']:>10} {r['create_s']:>9.2f} "
            f"{r['total_s']:>8.2f} {r['items_per_s']:>8.0f}"
        )


if __name__ == "__main__":
    main()
