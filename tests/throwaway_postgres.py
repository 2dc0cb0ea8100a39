"""A PostgreSQL cluster of one test's own (initdb + pg_ctl), to crash and restart at will.

Never the shared server the suite runs on: a fresh cluster in a directory of its own, on
a free port of 127.0.0.1, deleted afterwards. The binaries are the installed PostgreSQL's
(/usr/lib/postgresql/*/bin), else the ones bundled with pgserver (refinery/embedded.py).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _binaries() -> Path | None:
    """A directory holding initdb and pg_ctl, or None."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    try:
        import pgserver

        candidates.append(str(Path(pgserver.__file__).parent / "pginstall" / "bin"))
    except ImportError:
        pass
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


def _free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_user() -> str | None:
    """Who runs the server: PostgreSQL refuses root, so root hands it to an unprivileged user."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "pgserver"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root with no 'postgres' user to run PostgreSQL as")


class ThrowawayCluster:
    """initdb'd into a fresh directory and started; crash() and start() as the test needs."""

    def __init__(self) -> None:
        self.binaries = _binaries()
        if self.binaries is None:
            raise RuntimeError("no PostgreSQL binaries (initdb, pg_ctl) found")
        self.user = _server_user()
        # Not under pytest's tmp_path: as root that is private to root, and the server runs
        # as another user. A directory of its own in the temporary directory instead.
        self.root = Path(tempfile.mkdtemp(prefix="refinery-pg-"))
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.data = self.root / "data"
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")
        self.start()

    def _run(self, program: str, *args: str) -> None:
        """Run one of the PostgreSQL programs as the server's user."""
        subprocess.run(
            [str(self.binaries / program), *args],
            check=True,
            user=self.user,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def crash(self) -> None:
        """Stop the server the hard way (`pg_ctl stop -m immediate`): no clean shutdown."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def restart(self) -> None:
        """Crash the server, then start it again."""
        self.crash()
        self.start()

    def remove(self) -> None:
        """Stop the server if it runs, and delete its directory."""
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
