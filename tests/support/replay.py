"""pywb's own venv and servers run as processes on 127.0.0.1, for the replay tests."""

from __future__ import annotations

import functools
import http.client
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.crawl import ROOT

PYWB_VENV = ROOT / os.environ.get("PYWB_VENV", ".pywb-venv")


@functools.cache
def ensure_pywb_venv() -> Path:
    """``.pywb-venv`` made by ``scripts/pywb-venv.sh`` (a no-op once it is there)."""
    done = subprocess.run(["bash", str(ROOT / "scripts" / "pywb-venv.sh")], capture_output=True, text=True,
                          timeout=900)
    if done.returncode != 0:
        pytest.fail(f"scripts/pywb-venv.sh could not install pywb:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return PYWB_VENV


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A process listening on 127.0.0.1:port, stopped by its process group id."""

    process: subprocess.Popen[str]
    port: int

    def wait_ready(self, attempts: int = 600) -> None:
        for _ in range(attempts):
            if self.process.poll() is not None:
                output = self.process.stdout.read() if self.process.stdout else ""
                pytest.fail(f"server exited with {self.process.returncode}:\n{output}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"nothing listens on port {self.port}")

    def stop(self) -> str:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            output, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            output, _ = self.process.communicate()
        return output or ""

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """GET without following redirects or decoding the body (chunking is undone)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()


def start_server(command: list[str], port: int, cwd: Path) -> Server:
    """Run ``command`` in its own process group and wait until it listens on ``port``."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    server = Server(process, port)
    server.wait_ready()
    return server
