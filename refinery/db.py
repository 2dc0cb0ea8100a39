"""The per-process PostgreSQL pool and the transaction helpers."""

from __future__ import annotations

import logging
import os
import select
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import psycopg2.extras

from refinery import metrics
from refinery.errors import DatabaseUnavailable
from refinery.queries.prepared import Prepared

if TYPE_CHECKING:
    from refinery.config import Config

log = logging.getLogger("refinery.db")
# Whether this process PREPAREs hot statements (TenantCursor.execute_prepared).
_prepared_statements = {"enabled": True}
# Errors that mean the connection itself is unusable (server restart, network cut).
_BROKEN = (psycopg2.OperationalError, psycopg2.InterfaceError)
_SET_ORGANIZATION = "SELECT set_config('app.current_org', %s, true);"
# The session check sent in front of a statement: the function raises SESSION_ENDED when
# the session is not live (sql/schema.sql holds the one definition of a live session).
_REQUIRE_SESSION = "SELECT FROM refinery_session_principal(%s, %s);"
SESSION_ENDED = "RF401"


class SessionEnded(Exception):
    """The login session a statement was sent for has ended (SQLSTATE RF401)."""


@dataclass
class SessionCheck:
    """A login session that must still be live, checked in front of the next statement.

    Passed to transaction(), single_statement() or reading(): the first statement sent
    carries the check in the same message; done says whether one did (and it passed).
    """

    session_id: str
    user_id: str
    done: bool = False


class TenantConnection(psycopg2.extensions.connection):
    """A connection that knows which organization it currently acts for.

    session_check, when set, is a login session (id, user id) that must still be live: the
    next statement checks it in the same message, then it is cleared.
    """

    organization_id: str | None = None
    session_check: tuple[str, str] | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.prepared: set[str] = set()  # names of the statements PREPAREd on it


class TenantCursor(psycopg2.extensions.cursor):
    """Runs every statement as the connection's organization, for row-level security.

    The set_config is sent in the same message as the statement, so it costs no round
    trip and, being transaction-local, cannot leak into the next borrower's work.
    Rows come back as plain dicts keyed by column name: built with dict(zip()), several
    times faster than psycopg2's RealDictRow, which fills each row one Python call a column.
    """

    def execute(self, query, vars=None):
        """Prefix the statement with the organization setting (and a pending session check).

        The session check raises SESSION_ENDED inside PostgreSQL, before the statement
        runs, when the session has ended; in the same message, so it costs no round trip.
        """
        conn = self.connection
        organization = conn.organization_id
        prefix = self.mogrify(_SET_ORGANIZATION, (str(organization) if organization else "",))
        check = conn.session_check
        if check is not None:
            prefix += self.mogrify(_REQUIRE_SESSION, check)
        result = super().execute(prefix + self.mogrify(query, vars))
        conn.session_check = None
        return result

    def execute_prepared(self, statement: Prepared, params: dict):
        """Run a Prepared statement, PREPAREing it first on this connection if needed.

        Only outside a transaction, where a failed statement can be sent again: a pooler
        that gives each transaction another server connection (PgBouncer in transaction
        mode) loses PREPAREd statements between messages, which shows up as one missing at
        EXECUTE or one already there at PREPARE. Then this process stops preparing and
        sends the plain statement from then on; nothing of the failed one took effect.
        """
        conn = self.connection
        if _prepared_statements["enabled"] and conn.autocommit:
            try:
                if statement.name not in conn.prepared:
                    self.execute(statement.definition)
                    conn.prepared.add(statement.name)
                return self.execute(statement.call, statement.values(params))
            except (
                psycopg2.errors.InvalidSqlStatementName,
                psycopg2.errors.DuplicatePreparedStatement,
            ):
                _prepared_statements["enabled"] = False
                log.warning(
                    "prepared statements do not survive between statements on this "
                    "database connection (a pooler in transaction mode?): sending plain ones"
                )
        return self.execute(statement.query, params)

    def _as_dicts(self, rows: list[tuple]) -> list[dict]:
        """Rows as dicts keyed by column name."""
        names = [column.name for column in self.description]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def fetchone(self) -> dict | None:
        """The next row, or None."""
        row = super().fetchone()
        return None if row is None else self._as_dicts([row])[0]

    def fetchmany(self, size=None) -> list[dict]:
        """The next rows, up to size (arraysize by default)."""
        return self._as_dicts(super().fetchmany(self.arraysize if size is None else size))

    def fetchall(self) -> list[dict]:
        """Every remaining row."""
        return self._as_dicts(super().fetchall())

    def __iter__(self):
        """Iterate over the remaining rows."""
        return iter(self.fetchall())


def _still_open(conn: psycopg2.extensions.connection) -> bool:
    """Whether an idle pooled connection can be lent: open, idle, and silent since returned.

    The server sends nothing on an idle connection unless it ended it: a restart, a crash
    or a terminated backend leaves an error message and end-of-file to read. So a socket
    with something to read is dead. One poll() that does not wait: no round trip.
    """
    if conn.closed or conn.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
        return False
    try:
        poller = select.poll()
        poller.register(conn.fileno(), select.POLLIN | select.POLLPRI)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


class Pool:
    """A bounded LIFO pool: waits for a free slot, then 503; drops broken connections.

    A connection taken from the pool is checked first (_still_open): one the server has
    ended while it sat idle is closed, never lent, so a database restart costs no request.
    """

    def __init__(self, dsn: str, size: int, wait: float, connect_timeout: int, statement_ms: int):
        self._dsn = dsn
        self._wait = wait
        self._connect_kwargs = {
            "connect_timeout": connect_timeout,
            "options": f"-c statement_timeout={statement_ms}",
            "connection_factory": TenantConnection,
            "cursor_factory": TenantCursor,
            "application_name": "refinery",
        }
        self._idle: list[psycopg2.extensions.connection] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(size)

    def acquire(self) -> psycopg2.extensions.connection:
        """Take a connection, waiting at most the configured time for a free slot."""
        if not self._slots.acquire(blocking=False):
            metrics.pool_waits.inc()
            if not self._slots.acquire(timeout=self._wait):
                metrics.pool_timeouts.inc()
                raise DatabaseUnavailable("Every database connection is busy; try again shortly.")
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                break
            if _still_open(conn):
                return conn
            conn.close()
        try:
            return psycopg2.connect(self._dsn, **self._connect_kwargs)
        except psycopg2.Error:
            self._slots.release()
            raise DatabaseUnavailable() from None

    def release(self, conn: psycopg2.extensions.connection, broken: bool = False) -> None:
        """Return a connection; a broken one is closed along with every idle one."""
        try:
            if broken or conn.closed:
                # A server restart breaks every connection at once: drop them all now
                # rather than failing one request per stale connection.
                with self._lock:
                    stale, self._idle = self._idle, []
                for other in [conn, *stale]:
                    other.close()
            else:
                with self._lock:
                    self._idle.append(conn)
        finally:
            self._slots.release()

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


_pools: dict[tuple[int, object], Pool] = {}
_pools_lock = threading.Lock()
# The settings of the app this context works for (set by the app for each app context).
_bound: ContextVar[Config] = ContextVar("refinery_database")


def bind(config: Config) -> Token:
    """Make config's database the one this context's units of work use; reset with unbind."""
    return _bound.set(config)


def unbind(token: Token) -> None:
    """Undo a bind()."""
    _bound.reset(token)


def get_pool() -> Pool:
    """Return this process's pool for the bound settings, created on first use (after forks)."""
    config = _bound.get(None)
    if config is None:
        raise RuntimeError("no database is bound here: db.bind(config) first")
    # Keyed by process, so a forked worker never reuses its parent's sockets.
    key = (os.getpid(), config)
    pool = _pools.get(key)
    if pool is None:
        with _pools_lock:
            pool = _pools.get(key)
            if pool is None:
                pool = Pool(
                    config.app_database_url,
                    config.db_pool_max,
                    config.db_pool_timeout,
                    config.db_connect_timeout,
                    config.db_statement_timeout_ms,
                )
                _pools[key] = pool
    return pool


@contextmanager
def _checked_out(
    organization_id: str | None, autocommit: bool, session: SessionCheck | None
) -> Iterator[psycopg2.extensions.connection]:
    """Lend a connection acting for one organization (None: for none).

    session: a check not yet done rides in front of the first statement; SessionEnded
    when it fails. In a transaction, commit on success, else roll back; always return the
    connection.
    """
    pool = get_pool()
    conn = pool.acquire()
    conn.autocommit = autocommit  # a flag on the client: no round trip
    conn.organization_id = organization_id
    pending = session is not None and not session.done
    if pending:
        conn.session_check = (session.session_id, session.user_id)
    broken = False
    try:
        yield conn
        if not autocommit:
            conn.commit()
        if pending and conn.session_check is None:
            session.done = True  # a statement carried the check and it passed
    except _BROKEN as error:
        # A statement timeout leaves the connection usable; a server restart does not.
        broken = bool(conn.closed)
        if not broken and not autocommit:
            conn.rollback()
        raise DatabaseUnavailable() from error
    except BaseException as error:
        if not autocommit:
            try:
                conn.rollback()
            except _BROKEN:
                broken = True
        if getattr(error, "pgcode", None) == SESSION_ENDED:
            raise SessionEnded() from None
        raise
    finally:
        conn.organization_id = None
        conn.session_check = None
        pool.release(conn, broken=broken)


def transaction(organization_id: str | None, session: SessionCheck | None = None):
    """One unit of work of several statements: BEGIN … COMMIT, or ROLLBACK on error."""
    return _checked_out(organization_id, False, session)


def single_statement(organization_id: str | None, session: SessionCheck | None = None):
    """For one statement, atomic on its own: no BEGIN or COMMIT round trips.

    The optimize path uses it: its quota reservation and history insert are one statement.
    """
    return _checked_out(organization_id, True, session)


def reading(organization_id: str | None, session: SessionCheck | None = None):
    """Reads: each statement sees committed data; there is nothing to commit."""
    return _checked_out(organization_id, True, session)


@contextmanager
def owner_connection(database_url: str) -> Iterator[psycopg2.extensions.connection]:
    """A connection as the schema's owner, for operator commands only (never requests).

    Owners are not subject to row-level security: rotate-keys and set-plan work across
    organizations. Commits when the block ends normally.
    """
    conn = psycopg2.connect(database_url, cursor_factory=psycopg2.extras.RealDictCursor)
    try:
        with conn:
            yield conn
    finally:
        conn.close()
