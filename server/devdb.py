"""A throw-away PostgreSQL server for tests and benchmarks (development tooling, not used in production).

``ThrowawayPostgres.start()`` runs ``initdb`` + ``pg_ctl start`` on a fresh temporary directory and a
free loopback port (as the ``postgres`` user when run as root: PostgreSQL refuses root), and
``create_database(name)`` returns a ``postgresql+psycopg://`` URL. ``stop()`` removes everything.
Given ``keep_dir``, the cluster lives there instead and survives ``stop()`` (a clean shutdown), so a
benchmark can seed 10^8 rows once and start on them again later. ``start_standby(primary)`` adds a
streaming replica of a started server (``pg_basebackup -R``; the read-replica tests and benchmark).
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

PG_BIN = Path(os.environ.get("RENSHE_PG_BIN", "/usr/lib/postgresql/15/bin"))


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL binaries are missing or the server would not start (message says which)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (test servers, benchmarks)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_pg_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class ThrowawayPostgres:
    def __init__(self, pg_bin: Path = PG_BIN, keep_dir: Path | None = None) -> None:
        self.pg_bin = Path(pg_bin)
        self.port = 0
        self.host = "127.0.0.1"
        self.base: Path | None = None
        self.keep_dir = keep_dir

    def start(self, extra_options: str = "") -> ThrowawayPostgres:
        for tool in ("initdb", "pg_ctl", "createdb"):
            if not (self.pg_bin / tool).exists():
                raise PostgresUnavailable(
                    f"PostgreSQL binary missing: {self.pg_bin / tool} (apt-get install postgresql-15)"
                )
        if self.keep_dir is not None:
            self.base = self.keep_dir
            self.base.mkdir(parents=True, exist_ok=True)
        else:
            # Not under pytest's tmp_path: its parents are 0700 root, unreadable by the postgres user.
            self.base = Path(tempfile.mkdtemp(prefix="renshe-pg-"))
        data, sock_dir = self.base / "data", self.base / "sock"
        sock_dir.mkdir(exist_ok=True)
        reuse = (data / "PG_VERSION").exists()
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
            shutil.chown(sock_dir, "postgres")
        self.port = free_port()
        options = (
            f"-p {self.port} -k {sock_dir} -c listen_addresses=127.0.0.1 -F -c max_connections=200 {extra_options}"
        )
        try:
            if not reuse:
                subprocess.run(
                    _as_pg_user(
                        [
                            str(self.pg_bin / "initdb"),
                            "-D",
                            str(data),
                            "-U",
                            "postgres",
                            "--auth=trust",
                            "-E",
                            "UTF8",
                            "--no-locale",
                        ]
                    ),
                    check=True,
                    capture_output=True,
                    timeout=120,
                )
            subprocess.run(
                _as_pg_user(
                    [
                        str(self.pg_bin / "pg_ctl"),
                        "-D",
                        str(data),
                        "-l",
                        str(self.base / "log"),
                        "-w",
                        "-o",
                        options,
                        "start",
                    ]
                ),
                check=True,
                capture_output=True,
                timeout=120,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            log_file = self.base / "log"
            log = log_file.read_text(errors="replace") if log_file.exists() else ""
            stderr = getattr(exc, "stderr", b"") or b""
            self.stop()
            raise PostgresUnavailable(f"could not start PostgreSQL: {stderr.decode(errors='replace')} {log}") from exc
        logger.info("throwaway PostgreSQL started", extra={"port": self.port})
        return self

    def create_database(self, name: str) -> str:
        subprocess.run(
            _as_pg_user([str(self.pg_bin / "createdb"), "-h", self.host, "-p", str(self.port), "-U", "postgres", name]),
            check=True,
            capture_output=True,
            timeout=60,
        )
        return self.database_url(name)

    def has_database(self, name: str) -> bool:
        out = subprocess.run(
            _as_pg_user(
                [str(self.pg_bin / "psql"), "-h", self.host, "-p", str(self.port), "-U", "postgres"]
                + ["-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"]
            ),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return out.stdout.strip() == "1"

    def database_url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{name}"

    def stop(self) -> None:
        if self.base is None:
            return
        keep = self.keep_dir is not None
        if (self.base / "data" / "postmaster.pid").exists():
            subprocess.run(
                _as_pg_user(
                    [str(self.pg_bin / "pg_ctl"), "-D", str(self.base / "data"), "-m", "fast" if keep else "immediate"]
                    + ["stop"]
                ),
                capture_output=True,
                timeout=120,
            )
        if not keep:
            shutil.rmtree(self.base, ignore_errors=True)
        self.base = None


def start_standby(primary: ThrowawayPostgres, extra_options: str = "") -> ThrowawayPostgres:
    """A hot standby streaming from ``primary`` on a free loopback port: a streamed base backup with
    ``standby.signal`` and ``primary_conninfo`` (``-R``), then started. ``stop()`` removes it."""
    tool = primary.pg_bin / "pg_basebackup"
    if not tool.exists():
        raise PostgresUnavailable(f"PostgreSQL binary missing: {tool} (apt-get install postgresql-15)")
    # Not under pytest's tmp_path: its parents are 0700 root, unreadable by the postgres user.
    base = Path(tempfile.mkdtemp(prefix="renshe-standby-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    connect = ["-h", primary.host, "-p", str(primary.port), "-U", "postgres"]
    done = subprocess.run(
        _as_pg_user([str(tool), *connect, "-D", str(base / "data"), "-R", "-X", "stream", "-c", "fast"]),
        capture_output=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        raise PostgresUnavailable(f"pg_basebackup failed: {done.stderr.decode(errors='replace')}")
    # Started like a kept cluster (the data directory exists), removed on stop like a throw-away one.
    standby = ThrowawayPostgres(primary.pg_bin, keep_dir=base)
    try:
        standby.start(extra_options)
    finally:
        standby.keep_dir = None
        if standby.base is None:  # it did not start: nothing else will remove the backup
            shutil.rmtree(base, ignore_errors=True)
    return standby
