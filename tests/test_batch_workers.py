"""Real `flask --app refinery worker` processes on the test database: exactly once, always."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, Auth, service_environment
from tests.test_batches import _items, _set_limit, _sql, quota_invariant

WORKER_SETTINGS = {"WORKER_POLL_INTERVAL": "0.05", "WORKER_LEASE_SECONDS": "5"}


@pytest.fixture
def workers(clean_db):
    """Start worker processes with start(**settings); every one is stopped after the test."""
    started: list[subprocess.Popen] = []

    def start(**overrides: str) -> subprocess.Popen:
        env = {
            **os.environ,
            **service_environment(clean_db, **{**WORKER_SETTINGS, **overrides}),
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "refinery", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


@pytest.fixture
def org(client, auth, clean_db):
    body = auth.register("workerco")
    _set_limit(clean_db, body["organization"]["id"], 100_000)
    return {"header": Auth.header(body["accessToken"]), "org": body["organization"]["id"]}


def _create(client, org, count: int) -> str:
    response = client.post("/api/batches", json={"items": _items(count)}, headers=org["header"])
    assert response.status_code == 202, response.get_json()
    return response.get_json()["id"]


def _state(database_url: str, batch_id: str) -> dict:
    ((status, done, remaining),) = _sql(
        database_url,
        "SELECT status, completed_items + failed_items, remaining_items FROM batch_jobs "
        "WHERE id = %s",
        batch_id,
    )
    return {"status": status, "done": done, "remaining": remaining}


def _wait(database_url: str, batch_id: str, until, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _state(database_url, batch_id)
        if until(state):
            return state
        time.sleep(0.05)
    raise AssertionError(f"batch never reached the state: {_state(database_url, batch_id)}")


def _assert_each_item_once(database_url: str, batch_id: str, organization_id: str, total: int):
    """Every item finished, one history row each, and used = counted rows."""
    assert _sql(
        database_url,
        "SELECT status, count(*) FROM batch_items WHERE batch_job_id = %s GROUP BY status",
        batch_id,
    ) == [("completed", total)]
    assert _sql(
        database_url,
        "SELECT count(*), count(DISTINCT batch_item_id) FROM optimizations WHERE batch_id = %s",
        batch_id,
    ) == [(total, total)]
    used, counted = quota_invariant(database_url, organization_id)
    assert used == counted == total


def test_two_workers_process_each_item_once(client, org, workers, clean_db):
    batch_id = _create(client, org, 1000)
    first, second = workers(), workers()
    state = _wait(clean_db, batch_id, lambda s: s["status"] != "in_progress")
    assert state == {"status": "completed", "done": 1000, "remaining": 0}
    _assert_each_item_once(clean_db, batch_id, org["org"], 1000)
    # Nobody's lease lapsed: every item was claimed exactly once.
    assert _sql(clean_db, "SELECT max(attempts) FROM batch_items") == [(1,)]
    assert first.poll() is None and second.poll() is None


def test_a_killed_worker_s_items_are_done_once_by_another(client, org, workers, clean_db):
    batch_id = _create(client, org, 1000)
    victim = workers(WORKER_CHUNK_SIZE="50")
    _wait(clean_db, batch_id, lambda s: s["done"] >= 100)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    held = _sql(clean_db, "SELECT id FROM batch_items WHERE status = 'running'")
    workers()
    state = _wait(clean_db, batch_id, lambda s: s["status"] != "in_progress")
    assert state["status"] == "completed"
    _assert_each_item_once(clean_db, batch_id, org["org"], 1000)
    if held:  # what the dead worker held was claimed again after its lease lapsed
        attempts = _sql(
            clean_db,
            "SELECT min(attempts) FROM batch_items WHERE id = ANY(%s::uuid[])",
            [str(row[0]) for row in held],
        )
        assert attempts == [(2,)]


def test_cancel_halfway_refunds_the_rest(client, org, workers, clean_db):
    batch_id = _create(client, org, 2000)
    workers()
    _wait(clean_db, batch_id, lambda s: s["done"] >= 100)
    response = client.post(f"/api/batches/{batch_id}/cancel", headers=org["header"])
    assert response.status_code == 200
    assert response.get_json()["status"] in ("cancelling", "cancelled")
    state = _wait(clean_db, batch_id, lambda s: s["status"] == "cancelled", timeout=30)
    assert state["remaining"] == 0
    ((completed, cancelled),) = _sql(
        clean_db,
        "SELECT completed_items, cancelled_items FROM batch_jobs WHERE id = %s",
        batch_id,
    )
    assert completed + cancelled == 2000
    assert 100 <= completed < 2000
    rows = _sql(clean_db, "SELECT count(*) FROM optimizations WHERE batch_id = %s", batch_id)
    assert rows == [(completed,)]
    used, counted = quota_invariant(clean_db, org["org"])
    assert used == counted == completed


def test_sigterm_stops_gracefully_and_gives_the_chunk_back(client, org, workers, clean_db):
    batch_id = _create(client, org, 1000)
    worker = workers(WORKER_CHUNK_SIZE="400", WORKER_LEASE_SECONDS="600")
    _wait(clean_db, batch_id, lambda s: s["done"] >= 20)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=10) == 0
    # What it held and did not finish is claimable now, not in ten minutes.
    assert _sql(
        clean_db,
        "SELECT count(*) FROM batch_items WHERE status = 'running' AND lease_until > now()",
    ) == [(0,)]
    workers()
    state = _wait(clean_db, batch_id, lambda s: s["status"] != "in_progress", timeout=60)
    assert state["status"] == "completed"
    _assert_each_item_once(clean_db, batch_id, org["org"], 1000)


def test_claiming_is_fair_across_organizations(client, auth, org, workers, clean_db):
    big = _create(client, org, 1000)
    other = auth.register("smallco")
    header = Auth.header(other["accessToken"])
    small = client.post("/api/batches", json={"items": _items(20)}, headers=header)
    small_id = small.get_json()["id"]
    workers()
    _wait(clean_db, small_id, lambda s: s["status"] == "completed", timeout=60)
    # The small organization's batch did not wait behind the big one's thousand items.
    assert _state(clean_db, big)["done"] < 500


def _running(pid: int) -> bool:
    """Whether the process exists and has not exited (a zombie has exited)."""
    try:
        status = (Path("/proc") / str(pid) / "status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_a_worker_given_its_parent_pid_stops_with_its_parent(clean_db):
    env = {**os.environ, **service_environment(clean_db, **WORKER_SETTINGS)}
    parent = subprocess.run(
        [
            "bash",
            "-c",
            f"{sys.executable} -m flask --app refinery worker --parent-pid $$ "
            "2>/dev/null & echo $!; sleep 1",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    worker_pid = int(parent.stdout.split()[0])
    deadline = time.monotonic() + 15
    while _running(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    stopped = not _running(worker_pid)
    if not stopped:  # never leave a stray worker on the test database
        os.kill(worker_pid, signal.SIGKILL)
    assert stopped
