"""A PostgreSQL primary and a streaming replica of it, started for a test session.

Both servers run from temporary directories on free loopback ports, with the binaries of the
PostgreSQL installed on this machine. The replica is a ``pg_basebackup -R -X stream`` of the
primary, so it replays the primary's WAL as a second node would. PostgreSQL refuses to run as
root: when the tests do, the servers run as the ``postgres`` OS user, who owns the directories.

The primary's default is ``synchronous_commit = local``, so a test can watch the replica lag
and catch up; :meth:`PgCluster.database` can make one database's commits wait until the
replica has applied them (``remote_apply``), for tests written against a single server.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

__all__ = ["ClusterUnavailable", "PgCluster", "ReplicaDatabase", "pg_bindir", "start_cluster"]

_OS_USER = "postgres"
_START_TIMEOUT_S = 60.0


class ClusterUnavailable(RuntimeError):
    """The binaries or the OS user a cluster needs are missing on this machine."""


def pg_bindir() -> Path | None:
    """Where initdb, pg_ctl and pg_basebackup are: ``pg_config --bindir``, else a glob."""
    found = shutil.which("pg_config")
    candidates: list[str] = []
    if found:
        result = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(result.stdout.strip())
    # Debian's packages keep the server binaries off PATH, one directory per major version.
    candidates.extend(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True))
    for candidate in candidates:
        if candidate and all(
            (Path(candidate) / tool).exists() for tool in ("initdb", "pg_ctl", "pg_basebackup")
        ):
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class ReplicaDatabase:
    """One database, by its URL on the primary and on the replica."""

    primary_url: str
    replica_url: str


class PgCluster:
    """The two servers; use :func:`start_cluster` to get one."""

    def __init__(self, bindir: Path, base: Path) -> None:
        self.bindir = bindir
        self.base = base
        self.primary_dir = base / "primary"
        self.replica_dir = base / "replica"
        self.primary_port = _free_port()
        self.replica_port = _free_port()
        self._as_user: dict[str, Any] = {}
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam(_OS_USER)
            except KeyError as exc:
                raise ClusterUnavailable(f"there is no {_OS_USER!r} OS user to run as") from exc
            self._as_user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
            os.chown(base, account.pw_uid, account.pw_gid)

    # -- URLs --------------------------------------------------------------------------

    def url(self, port: int, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on the server at ``port``."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"

    @property
    def primary_url(self) -> str:
        """The primary's maintenance database."""
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        """The replica's maintenance database."""
        return self.url(self.replica_port)

    # -- the servers -------------------------------------------------------------------

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            cwd=self.base,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
            **self._as_user,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stderr.strip()}")

    def _pg_ctl(self, data: Path, *args: str) -> None:
        self._run("pg_ctl", "-D", str(data), "-l", str(self.base / f"{data.name}.log"), *args)

    def _configure(self, data: Path, port: int, extra: str = "") -> None:
        settings = f"""
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{self.base}'
wal_level = replica
max_wal_senders = 5
hot_standby = on
hot_standby_feedback = on
fsync = off
synchronous_commit = local
synchronous_standby_names = '*'
shared_buffers = 32MB
max_connections = 60
{extra}"""
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(settings)

    def start(self) -> None:
        """Create the primary, clone the replica from it, and wait until it streams."""
        self._run("initdb", "-D", str(self.primary_dir), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip
        self._configure(self.primary_dir, self.primary_port)
        with (self.primary_dir / "pg_hba.conf").open("a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        self._pg_ctl(self.primary_dir, "-w", "start")
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port),
                  "-U", "postgres", "-D", str(self.replica_dir), "-R", "-X", "stream",
                  "-c", "fast")  # fmt: skip
        # The clone carries the primary's settings; a later line wins, so only the port moves.
        with (self.replica_dir / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {self.replica_port}\n")
        self.start_replica()

    def start_replica(self) -> None:
        """Start the replica (again) and wait until the primary streams to it."""
        self._pg_ctl(self.replica_dir, "-w", "start")
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._streaming():
            if time.monotonic() > deadline:
                raise RuntimeError("the replica did not start streaming")
            time.sleep(0.05)

    def stop_replica(self) -> None:
        """Stop the replica at once, as a node that fails would."""
        self._pg_ctl(self.replica_dir, "-m", "immediate", "stop")

    def stop(self) -> None:
        """Stop both servers and remove their directories."""
        for data in (self.replica_dir, self.primary_dir):
            if (data / "postmaster.pid").exists():
                # Already gone is fine: the directory goes next either way.
                with suppress(RuntimeError):
                    self._pg_ctl(data, "-m", "immediate", "stop")
        shutil.rmtree(self.base, ignore_errors=True)

    # -- queries -----------------------------------------------------------------------

    def scalar(self, url: str, sql: str, **params: Any) -> Any:
        """One value from a fresh connection to ``url``."""
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                return connection.execute(text(sql), params).scalar()
        finally:
            engine.dispose()

    def _streaming(self) -> bool:
        state = self.scalar(self.primary_url, "SELECT max(state) FROM pg_stat_replication")
        return bool(state == "streaming")

    def wait_for_replay(self, timeout: float = 30.0) -> str:
        """Wait until the replica has replayed everything the primary had written; its LSN."""
        target = self.scalar(self.primary_url, "SELECT pg_current_wal_lsn()::text")
        deadline = time.monotonic() + timeout
        while not self.scalar(
            self.replica_url,
            "SELECT pg_last_wal_replay_lsn() >= CAST(:target AS pg_lsn)",
            target=target,
        ):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the replica did not replay up to {target}")
            time.sleep(0.01)
        return str(target)

    @contextmanager
    def database(self, *, apply_before_commit: bool = False) -> Iterator[ReplicaDatabase]:
        """A new database on the primary, seen on the replica too, dropped afterwards.

        ``apply_before_commit`` makes each commit wait until the replica has applied it, so
        a read from the replica right after a write sees it.
        """
        name = f"gatehouse_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(self.primary_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
                if apply_before_commit:
                    connection.execute(
                        text(f'ALTER DATABASE "{name}" SET synchronous_commit = remote_apply')
                    )
            self.wait_for_replay()
            yield ReplicaDatabase(
                self.url(self.primary_port, name), self.url(self.replica_port, name)
            )
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


@contextmanager
def start_cluster() -> Iterator[PgCluster]:
    """A running primary and replica, stopped and removed when the block ends.

    ``ClusterUnavailable`` when this machine has no PostgreSQL server binaries or no OS user
    to run them as.
    """
    bindir = pg_bindir()
    if bindir is None:
        raise ClusterUnavailable("no PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup)")
    base = Path(tempfile.mkdtemp(prefix="gatehouse-pg-cluster-"))
    try:
        cluster = PgCluster(bindir, base)
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise
    try:
        cluster.start()
        yield cluster
    finally:
        # Also after a failed start: whatever half-started is stopped and removed.
        cluster.stop()
