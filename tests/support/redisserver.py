"""A real Redis for tests: the Debian package's ``redis-server`` on 127.0.0.1, a free port.

:class:`RedisServer` starts one with its data in a folder of the test's own, waits until it
answers ``PING``, and stops it (``SHUTDOWN NOSAVE``, then SIGTERM/SIGKILL if it hangs). It can
be stopped, killed (SIGKILL, as a crashed host) and started again on the same port and
folder: with ``appendonly=True`` what was written before comes back, as in production.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.support.processes import stop_process

__all__ = ["REDIS_SERVER", "RedisServer", "find_redis_server"]

#: Where the Debian package (``apt-get install redis-server``) puts the server.
REDIS_SERVER = "/usr/bin/redis-server"


def find_redis_server() -> str | None:
    """The ``redis-server`` binary (the Debian package's, else one on PATH), or None."""
    if Path(REDIS_SERVER).is_file():
        return REDIS_SERVER
    return shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """``redis-server`` bound to 127.0.0.1, its files in ``data_dir``.

    ``appendonly``: keep an append-only file (``appendfsync always``), so a restart (even
    after SIGKILL) finds everything written; off, the server keeps nothing on disk (no RDB
    snapshots either). ``options``: more ``redis-server`` arguments, such as
    ``{"maxmemory": "64mb"}``. The port is chosen free at the first start and kept after.
    """

    def __init__(self, data_dir: Path, *, appendonly: bool = False, options: dict[str, str] | None = None,
                 binary: str | None = None):
        found = binary or find_redis_server()
        if found is None:
            raise FileNotFoundError("redis-server not found: apt-get install redis-server")
        self.binary = found
        self.data_dir = data_dir
        self.appendonly = appendonly
        self.options = dict(options or {})
        self.log_path = data_dir / "redis.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``, what ``ARCHIVE_FRONTIER`` takes."""
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        options = {
            "port": str(self.port), "bind": "127.0.0.1", "dir": str(self.data_dir), "save": "",
            "appendonly": "yes" if self.appendonly else "no", "appendfsync": "always",
            "daemonize": "no", "logfile": str(self.log_path), "protected-mode": "yes",
            **self.options,
        }
        arguments = [self.binary]
        for name, value in options.items():
            arguments += [f"--{name}", value]
        return arguments

    def client(self, **options: Any) -> Any:
        """A ``redis.Redis`` client of this server (``decode_responses`` and the like as ``options``)."""
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, **options)

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and wait until it answers ``PING`` (and has loaded its data)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        restart = bool(self.port)  # clients know the port: a restart keeps it
        for _ in range(1 if restart else 5):  # a port found free may be taken before the server binds it
            if not restart:
                self.port = _free_port()
            self.process = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                            start_new_session=True)
            if self._wait_ready(timeout):
                return
            self.process = None
        raise RuntimeError(f"redis-server did not start on port {self.port}: see {self.log_path}")

    def _wait_ready(self, timeout: float) -> bool:
        """True once the server answers; False if it exited (its port taken, say)."""
        import redis

        assert self.process is not None
        client = self.client(socket_connect_timeout=1, socket_timeout=2)
        deadline = time.monotonic() + timeout
        try:
            while True:
                if self.process.poll() is not None:
                    return False
                try:
                    if client.ping():  # answers LOADING while it reads its append-only file
                        return True
                except (redis.ConnectionError, redis.BusyLoadingError, redis.TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    self.kill()
                    raise TimeoutError(f"redis-server did not answer within {timeout} s: see {self.log_path}")
                time.sleep(0.02)
        finally:
            client.close()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server cleanly (SIGTERM: it finishes its append-only file); kill it if it hangs."""
        if self.process is None:
            return
        stop_process(self.process, timeout)
        self.process = None

    def kill(self) -> None:
        """SIGKILL the server, as a host that crashed: no shutdown, no last write."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def restart(self, timeout: float = 30.0) -> None:
        """Stop the server cleanly and start it again on the same port and folder."""
        self.stop()
        self.start(timeout)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
