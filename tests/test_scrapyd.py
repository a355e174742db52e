"""The Scrapyd recipe of the README, for real: a Scrapyd on 127.0.0.1 runs the project's egg.

Scrapyd lists every crawl whose process ended as "finished", whatever its exit status:
``scrapy crawls`` on the archive says which one did not succeed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sample_site import DEFAULT_SITE_DIR
from sample_site.server import SampleSite
from tests.support.crawl import ROOT, run_scrapy

PROJECT = "news-archiver"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Scrapyd:
    """A ``scrapyd`` process with its own config, eggs, logs and databases in one folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Scrapyd reads scrapyd.conf from its working folder.
        (folder / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            f"bind_address = 127.0.0.1\nhttp_port = {self.port}\n"
            f"eggs_dir = {folder / 'eggs'}\nlogs_dir = {folder / 'logs'}\ndbs_dir = {folder / 'dbs'}\n"
            "items_dir =\nmax_proc = 1\npoll_interval = 0.5\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SCRAPY_SETTINGS_MODULE")}
        with open(self.folder / "scrapyd.log", "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "scrapyd"], cwd=self.folder, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, (self.folder / "scrapyd.log").read_text()
            try:
                if self.get("daemonstatus.json")["status"] == "ok":
                    return
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "scrapyd did not answer"
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def get(self, endpoint: str, **params: str) -> dict[str, Any]:
        answer = requests.get(f"{self.url}/{endpoint}", params=params, timeout=30)
        answer.raise_for_status()
        return dict(answer.json())

    def post(self, endpoint: str, data: Any, files: Any = None) -> dict[str, Any]:
        answer = requests.post(f"{self.url}/{endpoint}", data=data, files=files, timeout=60)
        answer.raise_for_status()
        document = dict(answer.json())
        assert document["status"] == "ok", document
        return document

    def schedule(self, arguments: dict[str, str], settings: dict[str, str]) -> str:
        data = [("project", PROJECT), ("spider", "articles"), *arguments.items()]
        data += [("setting", f"{name}={value}") for name, value in settings.items()]
        return str(self.post("schedule.json", data)["jobid"])

    def wait_finished(self, job: str, timeout: float = 300) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for entry in self.get("listjobs.json", project=PROJECT)["finished"]:
                if entry["id"] == job:
                    return entry
            time.sleep(0.5)
        raise AssertionError(f"job {job} did not finish; log: {self.job_log(job)}")

    def job_log(self, job: str) -> str:
        path = self.folder / "logs" / PROJECT / "articles" / f"{job}.log"
        return path.read_text() if path.exists() else "(no log)"


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[Scrapyd]:
    server = Scrapyd(tmp_path / "scrapyd")
    server.start()
    yield server
    server.stop()


def crawls(archive: Path) -> tuple[int, dict[str, Any]]:
    done = run_scrapy("crawls", "--json", str(archive), timeout=120)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def test_scrapyd_runs_the_deployed_egg_and_crawls_says_how_each_run_went(scrapyd: Scrapyd, tmp_path: Path) -> None:
    # Build the egg as the README says (make egg), and deploy it as scrapyd-deploy would.
    dist = tmp_path / "dist"
    built = subprocess.run(["make", "egg", f"EGG_DIR={dist}"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    [egg] = dist.glob("*.egg")
    with open(egg, "rb") as f:
        scrapyd.post("addversion.json", {"project": PROJECT, "version": "r1"}, files={"egg": f})
    assert scrapyd.get("listspiders.json", project=PROJECT)["spiders"] == ["articles"]

    archive = tmp_path / "archive"
    settings = {
        "ARCHIVE_URI": str(archive), "AUTOTHROTTLE_ENABLED": "0", "ARCHIVE_EXTRACT_WORKERS": "1",
        "ARCHIVE_PROGRESS_INTERVAL": "0",
    }
    site = SampleSite(DEFAULT_SITE_DIR / "contained")
    base = site.start()
    try:
        arguments = {"urls": base + "/", "follow": "1", "requisites": "0"}
        first = scrapyd.schedule(arguments, {**settings, "ARCHIVE_CRAWL_ID": "nightly-1"})
        scrapyd.wait_finished(first)
        second = scrapyd.schedule(arguments, {**settings, "ARCHIVE_CRAWL_ID": "nightly-2"})
        scrapyd.wait_finished(second)
        # A run that stops early: Scrapyd lists it as finished all the same.
        third = scrapyd.schedule(arguments, {**settings, "ARCHIVE_CRAWL_ID": "nightly-3", "CLOSESPIDER_PAGECOUNT": "2"})
        scrapyd.wait_finished(third)
    finally:
        site.stop()

    for job, crawl_id in ((first, "nightly-1"), (second, "nightly-2")):
        manifest = json.loads((archive / crawl_id / "manifest.json").read_text())
        assert manifest["finish_reason"] == "finished", scrapyd.job_log(job)
        assert manifest["arguments"]["urls"] == base + "/"
        stats = manifest["stats"]
        if crawl_id == "nightly-1":
            assert stats["archive/text/articles"] > 0
        else:  # the same site again: the crawl history knows its articles, none is fetched again
            assert stats["archive/history/not_fetched"] > 0 and "archive/text/articles" not in stats
        assert "Crawl %s archived" % crawl_id in scrapyd.job_log(job)  # noqa: UP031
    status, listing = crawls(archive)
    states = {crawl["crawl_id"]: crawl["state"] for crawl in listing["crawls"]}
    assert states == {"nightly-1": "complete", "nightly-2": "complete", "nightly-3": "failed"}
    assert status == 1 and listing["latest"] == "nightly-3"
