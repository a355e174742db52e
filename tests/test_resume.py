"""A scheduled crawl stopped or killed half-way resumes when its command is run again.

The story a cron or systemd job lives: the crawl is killed (kill -9 of its whole process
group) or stopped (SIGTERM) at random moments, and the same command is run again each
time, as a scheduler retrying a failed job would. In the end every page of the site has
exactly one response record, every article exactly one text row, `scrapy verify` passes
and the manifest lists every file, locally and in S3.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from benchmarks.site import BenchSite
from sample_site.command import crawl_command
from scraper.archive.verify import verify_crawl
from tests.support.benchsite import serving_bench_site
from tests.support.crawl import ROOT, crawl_settings, project_env
from tests.support.s3server import WeedServer

PAGES = 1000
#: The five interruptions: a signal, and how many new bytes of WARC the run writes first
#: (drawn once from a fixed seed, so a failure can be replayed). Progress, not seconds:
#: on a quiet machine a crawl outruns any fixed moment. The five steps together stay
#: well under the crawl's whole WARC (about 43 MB for the 1,000 pages), so the last run
#: always has work left. The SIGTERM is a graceful stop, the others kills.
MOMENTS = [(sig, int(random.Random(20261130 + i).uniform(2e6, 6e6)))
           for i, sig in enumerate([signal.SIGKILL, signal.SIGKILL, signal.SIGTERM, signal.SIGKILL, signal.SIGKILL])]


def warc_bytes(folder: Path) -> int:
    """Bytes of WARC in ``folder`` (complete and open segments)."""
    return sum(p.stat().st_size for p in folder.glob("*") if p.is_file()) if folder.is_dir() else 0


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[BenchSite, str]]:
    with serving_bench_site(PAGES) as served:
        yield served


def interrupted_runs(command: list[str], env: dict[str, str], logs: Path, warc_dir: Path) -> list[int]:
    """Run ``command`` once per :data:`MOMENTS`, interrupted once it has written that many new
    bytes of WARC into ``warc_dir``, then once to its end; the exit codes of all runs."""
    codes = []
    for run, (sig, new_bytes) in enumerate([*MOMENTS, (None, 0)]):
        with open(logs / f"run-{run}.log", "w") as log:
            start = warc_bytes(warc_dir)
            crawl = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
            try:
                if sig is not None:
                    deadline = time.monotonic() + 240
                    while crawl.poll() is None and time.monotonic() < deadline:
                        if warc_bytes(warc_dir) - start >= new_bytes:
                            os.killpg(crawl.pid, sig)  # the whole group: crawl, fork server, workers
                            break
                        time.sleep(0.02)
                codes.append(crawl.wait(timeout=300))
            finally:
                if crawl.poll() is None:
                    os.killpg(crawl.pid, signal.SIGKILL)
    return codes


def check_one_record_a_page_and_one_row_an_article(crawl_dir: Path, urls: list[str], logs: Path) -> None:
    responses: Counter[str] = Counter()
    for path in sorted(crawl_dir.glob("warc/*.warc.gz")):
        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type == "response":
                    responses[record.rec_headers.get_header("WARC-Target-URI")] += 1
    twice = {url: n for url, n in responses.items() if n > 1}
    assert not twice, f"archived more than once: {sorted(twice)[:5]} (logs in {logs})"
    assert set(urls) <= set(responses), f"never archived: {sorted(set(urls) - set(responses))[:5]}"
    rows: Counter[str] = Counter()
    for path in crawl_dir.glob("text/*.jsonl.gz"):
        rows.update(json.loads(line)["url"] for line in gzip.open(path, "rt", encoding="utf-8"))
    assert set(rows) == set(urls) and max(rows.values()) == 1, [u for u, n in rows.items() if n > 1][:5]
    report = verify_crawl(crawl_dir)
    assert report.ok, report.summary()
    manifest = json.loads((crawl_dir / "manifest.json").read_text())
    listed = {entry["path"] for entry in manifest["files"]}
    present = {p.relative_to(crawl_dir).as_posix() for p in crawl_dir.rglob("*") if p.is_file()}
    assert listed == present - {"manifest.json"}


def test_a_crawl_killed_and_stopped_five_times_resumes_to_one_record_a_page(
    site: tuple[BenchSite, str], tmp_path: Path
) -> None:
    bench, base = site
    urls = bench.urls(base)
    (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n")
    settings = crawl_settings(tmp_path / "archive", "nightly",
                              {"ARCHIVE_EXTRACT_WORKERS": "2", "CONCURRENT_REQUESTS_PER_DOMAIN": "8"})
    command = crawl_command({"urls_file": str(tmp_path / "urls.txt"), "requisites": "0"}, settings)
    crawl_dir = tmp_path / "archive" / "nightly"
    codes = interrupted_runs(command, project_env(), tmp_path, crawl_dir / "warc")
    # A kill gives -9; the graceful stop exits 1 (no manifest: it resumes); the last run 0.
    assert codes[-1] == 0 and codes[2] in (1, 0), codes
    assert all(code in (-signal.SIGKILL, 0, 1) for code in codes), codes
    check_one_record_a_page_and_one_row_an_article(crawl_dir, urls, tmp_path)
    resumed = [log for log in sorted(tmp_path.glob("run-*.log")) if "Resuming crawl nightly" in log.read_text()]
    assert resumed, "no run resumed the crawl"


def test_a_second_start_of_a_running_crawl_is_refused(site: tuple[BenchSite, str], tmp_path: Path) -> None:
    """A second cron start while the first runs: refused with a clear message, the first untouched."""
    bench, base = site
    (tmp_path / "urls.txt").write_text("\n".join(bench.urls(base)) + "\n")
    settings = crawl_settings(tmp_path / "archive", "hourly", {"ARCHIVE_EXTRACT_WORKERS": "1"})
    command = crawl_command({"urls_file": str(tmp_path / "urls.txt"), "requisites": "0"}, settings)
    first = subprocess.Popen(command, cwd=ROOT, env=project_env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.STDOUT, start_new_session=True)
    try:
        lock = tmp_path / "archive" / ".hourly.lock"
        deadline = time.monotonic() + 60
        while not (lock.exists() and lock.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        second = subprocess.run(command, cwd=ROOT, env=project_env(), capture_output=True, text=True, timeout=120)
        assert second.returncode != 0
        assert f"crawl hourly is running: {lock} is held by process {first.pid}" in second.stdout + second.stderr
        assert first.poll() is None  # the first crawl goes on
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=60)


def test_a_crawl_into_s3_killed_and_stopped_resumes_from_its_spool(
    site: tuple[BenchSite, str], weed: WeedServer, tmp_path: Path
) -> None:
    bench, base = site
    urls = bench.urls(base)
    (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n")
    settings = crawl_settings(tmp_path / "unused", "nightly-s3", {
        "ARCHIVE_EXTRACT_WORKERS": "2", "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
        "ARCHIVE_URI": f"s3://{weed.bucket}/resume", "ARCHIVE_SPOOL_DIR": str(tmp_path / "spool"),
        "AWS_ENDPOINT_URL": weed.endpoint_url, "AWS_REGION_NAME": "us-east-1",
    })
    command = crawl_command({"urls_file": str(tmp_path / "urls.txt"), "requisites": "0"}, settings)
    env = {**project_env(weed.environment()), "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    codes = interrupted_runs(command, env, tmp_path, tmp_path / "spool" / "nightly-s3" / "warc")
    assert codes[-1] == 0, codes
    client = weed.client()
    crawl_dir = tmp_path / "from-bucket"
    listing = client.list_objects_v2(Bucket=weed.bucket, Prefix="resume/nightly-s3/")["Contents"]
    for item in listing:
        target = crawl_dir / item["Key"].removeprefix("resume/nightly-s3/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(client.get_object(Bucket=weed.bucket, Key=item["Key"])["Body"].read())
    check_one_record_a_page_and_one_row_an_article(crawl_dir, urls, tmp_path)
