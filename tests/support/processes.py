"""The processes a crawl starts, found in ``/proc`` (Linux): to kill one on purpose."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path


def children(pid: int) -> list[int]:
    """The process ids whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # it ended meanwhile
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user and system) process ``pid`` has used; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime: fields 14 and 15


def extraction_workers(crawl_pid: int) -> list[int]:
    """The extraction pool's workers: children of the fork server, itself a child of the crawl."""
    workers = []
    for child in children(crawl_pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"forkserver" in command:
            workers += children(child)
    return workers


def stop_process(process: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM ``process`` (a server it started) and wait; SIGKILL it if it has not exited
    within ``timeout`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
