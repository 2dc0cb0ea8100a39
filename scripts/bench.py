"""Load benchmark of the real server: gunicorn (gunicorn.conf.py), PostgreSQL and wrk, 127.0.0.1.

    .venv/bin/python scripts/bench.py            # the load benchmark (about 3 minutes)
    .venv/bin/python scripts/bench.py --scale    # history at 1,000,000 rows inside PostgreSQL

The load benchmark makes a fresh database (default refinery_bench, on DATABASE_URL's server
or the embedded one), starts gunicorn as production would, registers an organization, moves
it to an enterprise plan with a limit that cannot run out, and drives each route with wrk
for a fixed time: GET /health (the framework ceiling), POST /api/optimize (local engine,
medium level, a median-size corpus prompt), GET /api/optimize/history?limit=20 over 100,000
rows, and POST /api/auth/login next to the raw bcrypt.checkpw rate on the same cores.
The per-minute rate limits are turned off (RATE_LIMITS_ENABLED=false) so they do not cap the
numbers (--rate-limits keeps them on, at limits no run reaches); logins succeed, so login
throttling never engages; everything else is as deployed (REFINERY_ENV=production,
BCRYPT_ROUNDS and LOG_LEVEL at their defaults, synchronous_commit on). It also prints how
busy the machine was before it started, since other load on the same cores lowers every
number.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import bcrypt
import psycopg2
import psycopg2.extras
import requests
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from refinery.config import load_config  # noqa: E402
from refinery.db import TenantConnection, TenantCursor  # noqa: E402
from refinery.embedded import ensure_database, server_url  # noqa: E402
from refinery.paging import Page  # noqa: E402
from refinery.queries import optimizations, organizations  # noqa: E402
from refinery.schema import apply_schema  # noqa: E402

CORPUS_SAMPLE = ROOT / "tests" / "data" / "corpus_sample.jsonl"
# The corpus prompt closest to the corpus median (~809 characters), for checkouts without it.
FALLBACK_PROMPT = (
    "Act as a documentary filmmaker creating a comprehensive script on humanitarian and "
    "refugee crises. You will:\n\n- Focus on key cases such as Syria, Afghanistan, and Sudan.\n"
    "- Explore themes of forced migration, lack of food, shelter, and education.\n- Highlight "
    "human rights violations and responses from organizations like the UNHCR, Red Cross, and "
    "NGOs.\n- Cover refugee resettlement programs and emergency relief camps.\n\nYour script "
    "should:\n- Provide historical and geopolitical context for each crisis.\n- Include "
    "personal stories and interviews with refugees.\n- Offer insights into the effectiveness "
    "of international aid and relief efforts.\n- Suggest potential solutions and future "
    "outlooks.\n\nUse a structured narrative to engage and inform the audience, making use of "
    "visuals and interviews to enhance storytelling."
)
PASSWORD = "bench-password-" + secrets.token_hex(8)
MONTHLY_LIMIT = 2_000_000_000  # the largest set-plan accepts: no run can spend it
BCRYPT_ROUNDS = 12  # the service's default cost (BCRYPT_ROUNDS)

# wrk's report as one JSON line (latencies in microseconds; status errors are >= 400).
LUA_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %.0f, "duration_us": %.0f, "p50_us": %.0f, "p99_us": %.0f, '
    .. '"status_errors": %.0f, "socket_errors": %.0f}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""

# Owner-side generation of history rows: `rows` finished local optimizations, newest now,
# one every half second before that, with texts of realistic length.
FILL_HISTORY = """
    INSERT INTO optimizations
        (organization_id, user_id, provider, model, strategy, compression_level,
         output_format, status, original_text, refined_text, original_tokens,
         refined_tokens, tokens_saved, savings_percentage, duration_ms, created_at)
    SELECT %(organization_id)s, %(user_id)s, 'local', 'refinery-local-1',
           (ARRAY['UNIVERSAL', 'GPT', 'CLAUDE', 'DEEPSEEK', 'LEGAL'])[1 + n %% 5],
           (ARRAY['low', 'medium', 'high'])[1 + n %% 3],
           'default', 'completed',
           'Please act as reviewer number ' || n || '. ' || repeat(md5(n::text) || ' ', 20),
           'Act as reviewer ' || n || '. ' || repeat(md5(n::text) || ' ', 15),
           190, 150, 40, 21.05, 1,
           now() - make_interval(secs => n * 0.5)
    FROM generate_series(1, %(rows)s) AS n
"""


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per route (10)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds first (2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument(
        "--login-connections",
        type=int,
        default=os.cpu_count() or 1,
        help="wrk connections for login (one per core: each login is ~0.25 s of one core)",
    )
    parser.add_argument(
        "--login-duration", type=int, default=30, help="seconds for login, a slow route (30)"
    )
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--corpus", type=Path, help="JSONL with a `prompt` field")
    parser.add_argument("--database", default="refinery_bench", help="recreated each run")
    parser.add_argument("--history-rows", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=5099)
    parser.add_argument(
        "--synchronous-commit",
        choices=("on", "off"),
        default="on",
        help="the benchmark database's synchronous_commit (on, as PostgreSQL ships)",
    )
    parser.add_argument(
        "--rate-limits",
        action="store_true",
        help="keep per-minute limits on (memory://, 10,000,000 a minute): what checking them costs",
    )
    parser.add_argument("--scale", action="store_true", help="run the 1M-row scale check")
    parser.add_argument("--scale-rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1000, help="timed runs per scale query")
    return parser.parse_args()


def require_wrk() -> str:
    """wrk's path, or exit saying how to install it."""
    path = shutil.which("wrk")
    if path is None:
        sys.exit(
            "wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu), "
            "`brew install wrk` (macOS), or build github.com/wg/wrk"
        )
    return path


def median_prompt(corpus: Path | None) -> tuple[str, str]:
    """The corpus prompt of median length, and where it came from."""
    path = corpus or (CORPUS_SAMPLE if CORPUS_SAMPLE.exists() else None)
    if path is None:
        return FALLBACK_PROMPT, "built-in median-size corpus prompt"
    with path.open(encoding="utf-8") as lines:
        prompts = sorted((json.loads(line)["prompt"] for line in lines if line.strip()), key=len)
    return prompts[len(prompts) // 2], str(path)


def fresh_database(name: str, synchronous_commit: str = "on") -> str:
    """Drop and recreate `name` on DATABASE_URL's server (else the embedded one), with schema."""
    server = os.environ.get("DATABASE_URL") or server_url()
    if name.startswith("refinery_test") or name == "refinery":
        sys.exit(f"refusing to recreate {name}: pick a benchmark database name")
    url = ensure_database(server, name, fresh=True, synchronous_commit=synchronous_commit)
    apply_schema(url)
    return url


def server_env(database_url: str, port: int, rate_limits: bool) -> dict[str, str]:
    """The service's environment: production, rate limits off (or unreachably high), the rest
    default."""
    limits = {
        "RATE_LIMITS_ENABLED": "true",
        "RATE_LIMIT_STORAGE_URI": "memory://",
        "RATE_LIMIT_PER_ORGANIZATION": "10000000/minute",
        "RATE_LIMIT_PER_API_KEY": "10000000/minute",
        "RATE_LIMIT_REGISTRATION": "10000000/hour",
    }
    return {
        **os.environ,
        "REFINERY_ENV": "production",
        "DATABASE_URL": database_url,
        "JWT_SECRET": secrets.token_urlsafe(48),
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "BIND": f"127.0.0.1:{port}",
        **(limits if rate_limits else {"RATE_LIMITS_ENABLED": "false"}),
    }


def start_server(env: dict[str, str], url: str, log: Path) -> tuple[subprocess.Popen, float]:
    """Start gunicorn with gunicorn.conf.py; return it and the seconds to its first 200."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    deadline = started + 30
    while time.perf_counter() < deadline and process.poll() is None:
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return process, time.perf_counter() - started
        except requests.RequestException:  # not listening yet
            pass
        time.sleep(0.01)
    process.terminate()
    sys.exit(f"gunicorn did not answer /health within 30 s; see {log}:\n{log.read_text()[-2000:]}")


def register(url: str) -> dict:
    """Register the benchmark organization through the API; return the 201 body."""
    body = {
        "email": "bench@example.com",
        "password": PASSWORD,
        "fullName": "Bench Admin",
        "organizationName": "Bench",
        "organizationSlug": "bench",
    }
    response = requests.post(f"{url}/api/auth/register", json=body, timeout=30)
    response.raise_for_status()
    return response.json()


def set_enterprise_plan(env: dict[str, str], slug: str) -> str:
    """Move the organization to enterprise with a limit no run can spend (the operator CLI)."""
    command = [sys.executable, "-m", "flask", "--app", "refinery", "set-plan", slug]
    command += ["enterprise", "--limit", str(MONTHLY_LIMIT)]
    done = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def fill_history(database_url: str, organization_id: str, user_id: str | None, rows: int) -> float:
    """Insert `rows` optimizations as the owner, then VACUUM ANALYZE; return the seconds."""
    started = time.perf_counter()
    conn = psycopg2.connect(database_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                FILL_HISTORY,
                {"organization_id": organization_id, "user_id": user_id, "rows": rows},
            )
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE optimizations")
    finally:
        conn.close()
    return time.perf_counter() - started


def busy_cores(seconds: float = 1.0) -> float:
    """How many cores' worth of CPU the machine is spending right now (before our load)."""

    def sample() -> tuple[int, int]:
        """(busy, total) jiffies since boot."""
        values = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return sum(values) - idle, sum(values)

    busy_before, total_before = sample()
    time.sleep(seconds)
    busy_after, total_after = sample()
    cores = os.cpu_count() or 1
    return cores * (busy_after - busy_before) / max(1, total_after - total_before)


def commit_rate(database_url: str, seconds: float = 2.0) -> float:
    """Commits per second of one row updated over and over: the WAL flush's own limit."""
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE bench_commits (n integer)")
            cur.execute("INSERT INTO bench_commits VALUES (0)")
            count, deadline = 0, time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                cur.execute("UPDATE bench_commits SET n = n + 1")
                count += 1
            cur.execute("DROP TABLE bench_commits")
    finally:
        conn.close()
    return count / seconds


def lua_script(directory: Path, name: str, method: str, headers: dict, body: dict | None) -> Path:
    """Write a wrk script sending one fixed request, reporting through LUA_DONE."""
    lines = [f"wrk.method = {json.dumps(method)}"]
    for header, value in headers.items():
        lines.append(f"wrk.headers[{json.dumps(header)}] = {json.dumps(value)}")
    if body is not None:
        # A JSON string literal is a valid Lua string literal for this ASCII-safe dump.
        lines.append(f"wrk.body = {json.dumps(json.dumps(body))}")
    path = directory / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n" + LUA_DONE)
    return path


def run_wrk(wrk: str, url: str, script: Path, seconds: int, connections: int, threads: int):
    """Run wrk once; return its LUA_DONE report with requests/s added."""
    command = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    command += ["--timeout", "10s", "-s", str(script), url]
    limit = seconds + 30
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=limit)
    line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH "))
    report = json.loads(line.removeprefix("BENCH "))
    report["rps"] = report["requests"] / (report["duration_us"] / 1e6)
    return report


def _bcrypt_loop(args: tuple[bytes, bytes, float]) -> int:
    """checkpw as often as possible until the deadline; return how many."""
    password, hashed, deadline = args
    count = 0
    while time.time() < deadline:
        bcrypt.checkpw(password, hashed)
        count += 1
    return count


def bcrypt_rate(seconds: int, processes: int) -> float:
    """The raw bcrypt.checkpw rate at BCRYPT_ROUNDS on `processes` processes."""
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(BCRYPT_ROUNDS))
    deadline = time.time() + seconds
    with multiprocessing.Pool(processes) as pool:
        counts = pool.map(_bcrypt_loop, [(PASSWORD.encode(), hashed, deadline)] * processes)
    return sum(counts) / seconds


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's worker processes."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return sorted(int(pid) for pid in children)


def memory_mb(pid: int) -> dict[str, float]:
    """Peak and current RSS, PSS and private memory of a process, in MB."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    values = {line.split(":")[0]: int(line.split()[1]) for line in status if "kB" in line}
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    smaps = {line.split(":")[0]: int(line.split()[1]) for line in rollup if "kB" in line}
    private = smaps.get("Private_Clean", 0) + smaps.get("Private_Dirty", 0)
    return {
        "peak_rss": values["VmHWM"] / 1024,
        "rss": values["VmRSS"] / 1024,
        "pss": smaps.get("Pss", 0) / 1024,
        "private": private / 1024,
    }


def report_line(name: str, report: dict) -> str:
    """One row of the results table."""
    return (
        f"{name:<34} {report['rps']:>9.1f} {report['p50_us'] / 1000:>9.2f} "
        f"{report['p99_us'] / 1000:>9.2f} {report['status_errors'] + report['socket_errors']:>7}"
    )


def load_benchmark(args: argparse.Namespace) -> None:
    """Start the server, prepare the organization and data, drive every route, report."""
    wrk = require_wrk()
    prompt, prompt_source = median_prompt(args.corpus)
    cores = os.cpu_count() or 1
    busy_before = busy_cores()
    database_url = fresh_database(args.database, args.synchronous_commit)
    env = server_env(database_url, args.port, args.rate_limits)
    url = f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryDirectory(prefix="refinery-bench-") as temp:
        directory = Path(temp)
        server, first_200 = start_server(env, url, directory / "server.log")
        try:
            registered = register(url)
            plan = set_enterprise_plan(env, "bench")
            token = registered["accessToken"]
            organization_id = registered["organization"]["id"]
            fill_seconds = fill_history(
                database_url, organization_id, registered["user"]["id"], args.history_rows
            )
            bearer = {"Authorization": f"Bearer {token}"}
            json_type = {"Content-Type": "application/json"}
            optimize_body = {"text": prompt, "provider": "local", "compressionLevel": "medium"}
            login_body = {"email": "bench@example.com", "password": PASSWORD}
            scenarios = [
                ("(a) GET /health", "/health", "GET", {}, None, args.connections),
                (
                    "(c) GET /api/optimize/history",
                    "/api/optimize/history?limit=20",
                    "GET",
                    bearer,
                    None,
                    args.connections,
                ),
                (
                    "(b) POST /api/optimize",
                    "/api/optimize",
                    "POST",
                    {**bearer, **json_type},
                    optimize_body,
                    args.connections,
                ),
                (
                    "(d) POST /api/auth/login",
                    "/api/auth/login",
                    "POST",
                    json_type,
                    login_body,
                    args.login_connections,
                ),
            ]
            results = {}
            for index, (name, path, method, headers, body, connections) in enumerate(scenarios):
                script = lua_script(directory, f"route{index}", method, headers, body)
                seconds = args.login_duration if "login" in path else args.duration
                if args.warmup:
                    run_wrk(wrk, url + path, script, args.warmup, connections, args.wrk_threads)
                results[name] = run_wrk(
                    wrk, url + path, script, seconds, connections, args.wrk_threads
                )
                print(f"  measured {name}", file=sys.stderr, flush=True)
            bcrypt_per_second = bcrypt_rate(args.login_duration, cores)
            commits_per_second = commit_rate(database_url)
            workers = {pid: memory_mb(pid) for pid in worker_pids(server.pid)}
        finally:
            server.terminate()
            server.wait(timeout=40)

    health = results["(a) GET /health"]
    optimize = results["(b) POST /api/optimize"]
    login = results["(d) POST /api/auth/login"]
    print(f"Prompt Refinery load benchmark, {datetime.now():%Y-%m-%d %H:%M}")
    print(f"machine: {cores} cores; server, PostgreSQL and wrk on 127.0.0.1")
    print(
        f"other load before the run: {busy_before:.2f} cores busy"
        + (" (NOT an idle machine: numbers are lower than on one)" if busy_before > 0.2 else "")
    )
    print(
        f"server: gunicorn -c gunicorn.conf.py wsgi:app, WEB_CONCURRENCY="
        f"{os.environ.get('WEB_CONCURRENCY', 'default')}, GUNICORN_THREADS="
        f"{os.environ.get('GUNICORN_THREADS', 'default')}, REFINERY_ENV=production"
    )
    print(
        (
            "settings: per-minute limits on (memory://, 10,000,000 a minute); "
            if args.rate_limits
            else "settings: RATE_LIMITS_ENABLED=false (per-minute limits off); "
        )
        + f"organization on enterprise via `set-plan` ({plan}); "
        "logins all succeed, so login throttling never engages; "
        f"BCRYPT_ROUNDS={BCRYPT_ROUNDS}; LOG_LEVEL default (one line per request)"
    )
    print(
        f"load: wrk -t{args.wrk_threads} -c{args.connections} (login -c"
        f"{args.login_connections}), {args.warmup} s warm-up then {args.duration} s per route"
        f" ({args.login_duration} s for login)"
    )
    print(
        f"database: synchronous_commit={args.synchronous_commit}; one row updated and "
        f"committed in a loop: {commits_per_second:.0f} commits/s (each optimize holds its "
        "organization's quota row through its commit, so this caps one organization)"
    )
    print(f"optimize: local, medium, {len(prompt)}-character prompt from {prompt_source}")
    print(f"history: {args.history_rows:,} rows in the organization (made in {fill_seconds:.1f} s)")
    print()
    print(f"{'route':<34} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}")
    for name, report in results.items():
        print(report_line(name, report))
    print(f"{'raw bcrypt.checkpw, ' + str(cores) + ' processes':<34} {bcrypt_per_second:>9.1f}")
    print()
    print(f"optimize / health:         {optimize['rps'] / health['rps']:.2f}")
    print(f"login / raw bcrypt limit:  {login['rps'] / bcrypt_per_second:.2f}")
    print(f"first 200 on /health:      {first_200:.2f} s after start")
    for pid, memory in workers.items():
        print(
            f"worker {pid}: peak RSS {memory['peak_rss']:.1f} MB (now {memory['rss']:.1f}, "
            f"PSS {memory['pss']:.1f}, private {memory['private']:.1f})"
        )
    print("errors = responses with status >= 400 plus socket errors and timeouts (10 s)")


class ExplainCursor(TenantCursor):
    """The app's own cursor, with EXPLAIN in front of the statement."""

    explain = "EXPLAIN (ANALYZE, BUFFERS) "

    def execute(self, query, vars=None):
        """Explain the statement instead of running it."""
        return super().execute(self.explain + query, vars)


class TimingCursor(ExplainCursor):
    """EXPLAIN ANALYZE as JSON, to read PostgreSQL's own execution time."""

    explain = "EXPLAIN (ANALYZE, FORMAT JSON) "


def app_connection(database_url: str, organization_id: str) -> TenantConnection:
    """A connection as refinery_app acting for the organization, as the service makes it."""
    config = load_config(
        {
            "REFINERY_ENV": "test",
            "DATABASE_URL": database_url,
            "JWT_SECRET": "x" * 32,
            "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        }
    )
    conn = psycopg2.connect(
        config.app_database_url, connection_factory=TenantConnection, cursor_factory=TenantCursor
    )
    conn.autocommit = True
    conn.organization_id = organization_id
    return conn


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values fall."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def scale_check(args: argparse.Namespace) -> None:
    """History at scale: the first and a deep keyset page, their plans and p99 timings."""
    database_url = fresh_database(args.database + "_scale")
    organization_id = str(uuid.uuid4())
    conn = psycopg2.connect(database_url, cursor_factory=psycopg2.extras.RealDictCursor)
    with conn:
        organizations.create_organization(conn, organization_id, "Scale", "scale")
    conn.close()
    print(f"generating {args.scale_rows:,} optimizations in one organization …", flush=True)
    print(f"  done in {fill_history(database_url, organization_id, None, args.scale_rows):.1f} s")

    conn = app_connection(database_url, organization_id)
    filters = dict.fromkeys(("provider", "status", "strategy", "from", "to"))
    with conn.cursor() as cur:
        # The position after the first 90% of the history: a deep page.
        cur.execute(
            "SELECT created_at, id FROM optimizations ORDER BY created_at DESC, id DESC "
            "LIMIT 1 OFFSET %(offset)s",
            {"offset": args.scale_rows * 9 // 10},
        )
        deep = cur.fetchone()
    pages = {
        "first page": Page(limit=20, offset=0, after=None),
        f"keyset page after row {args.scale_rows * 9 // 10:,}": Page(
            limit=20, offset=0, after=(deep["created_at"], str(deep["id"]))
        ),
    }
    print("as refinery_app, with the app's set_config prefix and row-level security:")
    for name, page in pages.items():
        conn.cursor_factory = ExplainCursor
        plan = optimizations.list_page(conn, organization_id, filters, page)
        conn.cursor_factory = TimingCursor
        inside = []
        for _ in range(args.runs):
            row = optimizations.list_page(conn, organization_id, filters, page)[0]
            inside.append(row["QUERY PLAN"][0]["Execution Time"])
        conn.cursor_factory = TenantCursor
        round_trips = []
        for _ in range(args.runs):
            started = time.perf_counter()
            rows = optimizations.list_page(conn, organization_id, filters, page)
            round_trips.append((time.perf_counter() - started) * 1000)
        print(f"\n{name} ({len(rows)} rows: limit 20 + 1):")
        print("\n".join("    " + line["QUERY PLAN"] for line in plan))
        print(
            f"  inside PostgreSQL (EXPLAIN ANALYZE execution time, {args.runs} runs): "
            f"p50 {statistics.median(inside):.3f} ms, p99 {percentile(inside, 0.99):.3f} ms"
        )
        print(
            f"  through psycopg2, the app's exact statement ({args.runs} runs): "
            f"p50 {statistics.median(round_trips):.3f} ms, "
            f"p99 {percentile(round_trips, 0.99):.3f} ms"
        )
    conn.close()


def main() -> None:
    """Run the load benchmark, or the scale check with --scale."""
    args = parse_args()
    if args.scale:
        scale_check(args)
    else:
        load_benchmark(args)


if __name__ == "__main__":
    main()
