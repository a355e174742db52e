"""`scrapy crawls` tells an operator how each crawl of an archive went, and exits 1 when the latest failed."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sample_site.command import crawl_command
from scraper.storage.s3 import S3Destination, SpoolCrawl
from tests.support.crawl import ROOT, crawl_raw_site, crawl_settings, project_env, run_crawl, run_scrapy
from tests.support.rawsite import RawSite
from tests.support.s3server import WeedServer

ARTICLE = "/article?id=7&lang=en"


def crawls(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """Run ``scrapy crawls --json`` as an operator does; its exit status and what it printed."""
    done = run_scrapy("crawls", "--json", *args, env=env, timeout=120)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return done.returncode, json.loads(done.stdout)


def by_id(listing: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {crawl["crawl_id"]: crawl for crawl in listing["crawls"]}


def test_complete_crawl_then_one_closed_early(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    _site, _base, done = crawl_raw_site(archive, [ARTICLE, "/gzipped"], {"requisites": "0"})
    status, listing = crawls(str(archive))
    assert status == 0
    [crawl] = listing["crawls"]
    manifest = done.manifest
    assert crawl["crawl_id"] == "test-crawl" and crawl["state"] == "complete" and not crawl["failed"]
    assert crawl["pages"] == manifest["stats"]["archive/warc/responses"] == 3  # robots.txt too
    assert crawl["articles"] == manifest["stats"]["archive/text/articles"] == 2  # /gzipped is the article too
    assert crawl["bytes"] == sum(entry["size"] for entry in manifest["files"])
    assert crawl["start_time"] == manifest["start_time"] and crawl["end_time"] == manifest["end_time"]
    # The console script, from any folder, says the same.
    script = subprocess.run([str(Path(sys.executable).with_name("news-archiver")), "crawls", "--json", str(archive)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert script.returncode == 0 and json.loads(script.stdout) == listing, script.stderr

    # A later crawl stopped by a limit exits 0 from `scrapy crawl`, but did not run to its end.
    site = RawSite()
    base = site.start()
    try:
        early = run_crawl(
            archive, {"urls": f"{base}{ARTICLE},{base}/gzipped,{base}/teapot", "requisites": "0"},
            {"CLOSESPIDER_PAGECOUNT": "1", "CONCURRENT_REQUESTS": "1"}, crawl_id="test-crawl-2",
        )
    finally:
        site.stop()
    assert early.returncode == 0, early.log
    status, listing = crawls(str(archive))
    assert status == 1 and listing["latest"] == "test-crawl-2" and listing["latest_failed"]
    failed = by_id(listing)["test-crawl-2"]
    assert failed["state"] == "failed" and failed["finish_reason"] == "closespider_pagecount"
    assert any("closespider_pagecount" in problem for problem in failed["problems"])

    table = run_scrapy("crawls", str(archive), timeout=120)
    assert table.returncode == 1
    lines = table.stdout.splitlines()
    assert lines[0].split()[:2] == ["crawl", "state"]
    assert lines[1].split()[:2] == ["test-crawl", "complete"] and lines[2].split()[:2] == ["test-crawl-2", "failed"]


def test_running_crawl_then_killed_is_resumable(tmp_path: Path) -> None:
    site = RawSite()
    base = site.start()
    archive = tmp_path / "archive"
    command = crawl_command({"urls": f"{base}{ARTICLE},{base}/slow", "requisites": "0"},
                            crawl_settings(archive, "nightly"))
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        env=project_env(),
    )
    try:
        deadline = time.monotonic() + 60
        while not (archive / "nightly").is_dir() or (by_id(crawls(str(archive))[1])["nightly"]["pages"] or 0) < 2:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.3)
        # /slow answers after 30 s: the crawl is still running.
        status, listing = crawls(str(archive))
        running = by_id(listing)["nightly"]
        assert status == 0 and running["state"] == "running" and not running["failed"]
        assert running["pid"] is not None and running["end_time"] is None and running["last_write"]
        assert running["start_time"] is not None
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the crawler and its extraction workers
        process.wait(timeout=10)
        site.stop()
    status, listing = crawls(str(archive))
    killed = by_id(listing)["nightly"]
    assert status == 1 and listing["latest_failed"]
    assert killed["state"] == "resumable" and killed["failed"] and killed["pid"] is None
    assert killed["pages"] == 2  # robots.txt and the article, read from the .open WARC


def test_s3_archive_states_from_bucket_and_spool(weed: WeedServer, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    settings = {
        "ARCHIVE_SPOOL_DIR": str(spool), "AWS_ENDPOINT_URL": weed.endpoint_url, "AWS_REGION_NAME": "us-east-1",
    }
    options = [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]
    env = {**weed.environment(), "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    site = RawSite()
    base = site.start()
    try:
        command = crawl_command(
            {"urls": f"{base}{ARTICLE}", "requisites": "0"},
            {**crawl_settings(tmp_path, "stored"), "ARCHIVE_URI": f"s3://{weed.bucket}/crawls", **settings},
        )
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180, env=project_env(env))
    finally:
        site.stop()
    assert done.returncode == 0, done.stdout + done.stderr
    destination = S3Destination(weed.bucket, "crawls")
    # A crawl that ended while the storage was away: its files and manifest wait in the spool.
    waiting = SpoolCrawl.create(spool, "waiting", destination, weed.endpoint_url)
    segment = waiting.folder / "warc" / "waiting-20300101000000-00001.warc.gz"
    segment.parent.mkdir()
    segment.write_bytes(b"")
    entry = {"path": "warc/waiting-20300101000000-00001.warc.gz", "size": 0, "sha256": hashlib.sha256().hexdigest()}
    waiting.add_file(entry["path"], entry["size"], entry["sha256"])
    waiting.set_manifest(json.dumps({
        "crawl_id": "waiting", "finish_reason": "finished", "start_time": "2030-01-01T00:00:00+00:00",
        "end_time": "2030-01-01T00:10:00+00:00", "stats": {"archive/warc/responses": 5}, "files": [entry],
    }).encode())
    waiting.release()
    SpoolCrawl.create(spool, "killed", destination, weed.endpoint_url).release()  # no manifest, no process
    SpoolCrawl.create(spool, "elsewhere", S3Destination(weed.bucket, "other"), weed.endpoint_url).release()
    # Objects of a crawl without manifest whose spool folder was removed by hand.
    weed.client().put_object(
        Bucket=weed.bucket, Key="crawls/orphan/warc/orphan-20200101000000-00001.warc.gz", Body=b"x" * 10
    )

    status, listing = crawls(f"s3://{weed.bucket}/crawls", *options, env=env)
    found = by_id(listing)
    assert set(found) == {"stored", "waiting", "killed", "orphan"}  # "elsewhere" goes to another prefix
    assert found["stored"]["state"] == "complete" and found["stored"]["pages"] == 2
    assert found["stored"]["location"] == f"s3://{weed.bucket}/crawls/stored"
    assert found["waiting"]["state"] == "waiting for upload" and found["waiting"]["pages"] == 5
    assert found["killed"]["state"] == "resumable"
    assert found["orphan"]["state"] == "incomplete" and found["orphan"]["bytes"] == 10
    assert listing["latest"] == "waiting" and status == 1  # it started last (2030), and is not published


def test_frontier_that_does_not_answer_leaves_the_listing_as_without_it(tmp_path: Path) -> None:
    """`ARCHIVE_FRONTIER` pointing at a Redis that is down, or hung: one warning line, and the
    listing and exit status of the same archive without a frontier (a look makes one short
    attempt, not a worker's minute of retries)."""
    archive = tmp_path / "archive"
    segment = archive / "nightly" / "warc" / "nightly-w1-20300101000000-00001.warc.gz.open"
    segment.parent.mkdir(parents=True)
    segment.write_bytes(b"")  # a shared crawl's worker killed before its first record
    alone = run_scrapy("crawls", "--json", str(archive), timeout=120)
    assert alone.returncode == 1 and not alone.stderr.strip(), alone.stderr
    assert json.loads(alone.stdout)["crawls"][0]["state"] == "resumable"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        down = f"redis://:secret@127.0.0.1:{taken.getsockname()[1]}/0"  # bound, not listening: refused
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts (the kernel's backlog), never answers
        hung = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        for frontier in (down, hung):
            looked = run_scrapy("crawls", "--json", str(archive), "-s", f"ARCHIVE_FRONTIER={frontier}", timeout=120)
            assert (looked.returncode, looked.stdout) == (alone.returncode, alone.stdout)
            [warning] = looked.stderr.strip().splitlines()
            assert warning.startswith("crawls: warning: the frontier's Redis (ARCHIVE_FRONTIER) does not answer")
            assert "secret" not in warning
    # The console script reads the frontier from the environment.
    script = subprocess.run([str(Path(sys.executable).with_name("news-archiver")), "crawls", str(archive)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "ARCHIVE_FRONTIER": down})
    assert script.returncode == 1 and script.stdout.splitlines()[1].split()[:2] == ["nightly", "resumable"]
    assert "does not answer" in script.stderr
