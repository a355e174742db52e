"""``scrapy reextract`` survives hostile pages: one that hangs the extractor, one that kills it.

The story: a WARC holds an article, the hostile server's 8 MiB page (seconds of
extraction) and another article. Over the size cap (the default) the big page is counted
and skipped; past the deadline its worker is killed and replaced, the page counted and
logged, and both articles get their rows. Then workers are killed from outside while
they work on a long page, as the kernel's OOM killer would: once, and the page is tried
again and gets its row; twice, and it is skipped and counted; on every page, and the run
stops with a clear error instead of starting workers forever.
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scraper.settings import (
    ARCHIVE_MAX_EXTRACT_BYTES,
)
from scraper.tools.reextract import reextract
from scraper.workers.client import BlockingPool, ExtractionTimeout, WorkerDied
from scraper.workers.forkserver import start_extraction_server
from tests.support.crawl import reextract_project, run_scrapy
from tests.support.hostile import HostileServer
from tests.support.processes import children, cpu_seconds
from tests.support.rawsite import ARTICLE_HTML, ARTICLE_PARAGRAPHS
from tests.support.warcs import assert_rows_point_at_responses, read_text_rows

#: What ``scrapy reextract`` passes with the project's settings.
PROJECT = reextract_project()
#: A page long enough to be killed in the middle of (seconds of extraction), short enough to extract whole in a test.
LONG_PAGE_SIZE = 2 << 20
#: CPU seconds after which a worker is surely on the long page: an article takes milliseconds.
ON_THE_LONG_PAGE = 0.5


def write_warc(path: Path, pages: dict[str, bytes]) -> dict[str, int]:
    """A WARC of HTML responses (status 200), in the order given; returns each record's offset by URL."""
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for url, body in pages.items():
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))
    with open(path, "rb") as f:
        iterator = ArchiveIterator(f)
        return {record.rec_headers.get_header("WARC-Target-URI"): iterator.get_record_offset() for record in iterator}


def article(number: int) -> bytes:
    return ARTICLE_HTML.replace(b"</h1>", b" %d</h1>" % number, 1)


@pytest.fixture(scope="module")
def huge_warc(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("hostile") / "hostile.warc.gz"
    pages = {"http://news.example/first": article(1), "http://news.example/huge": HostileServer().huge_page,
             "http://news.example/last": article(2)}
    return path, write_warc(path, pages)


@pytest.fixture(scope="module")
def long_warc(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("dying") / "dying.warc.gz"
    pages = {"http://news.example/first": article(1),
             "http://news.example/long": HostileServer(huge_page_size=LONG_PAGE_SIZE).huge_page,
             "http://news.example/last": article(2)}
    return path, write_warc(path, pages)


def test_the_huge_page_is_over_the_size_cap_and_skipped_by_default(huge_warc, tmp_path: Path, caplog) -> None:
    source, offsets = huge_warc
    with caplog.at_level(logging.WARNING, logger="scraper.tools.reextract"):
        result = reextract(source, tmp_path / "out", workers=1, **PROJECT)
    assert [row["url"] for row in read_text_rows(tmp_path / "out")] == ["http://news.example/first",
                                                                        "http://news.example/last"]
    assert result.counts["too_large"] == 1 and result.counts["html_records"] == 2
    assert "extract_timeouts" not in result.counts and "worker_restarts" not in result.counts
    assert f"Not extracting http://news.example/huge (hostile.warc.gz:{offsets['http://news.example/huge']}): " \
           f"over {ARCHIVE_MAX_EXTRACT_BYTES} bytes decoded" in caplog.text


def test_a_page_past_the_deadline_is_skipped_and_every_other_page_gets_its_row(huge_warc, tmp_path: Path) -> None:
    source, offsets = huge_warc
    dest = tmp_path / "out"
    done = run_scrapy("reextract", str(source), str(dest), "--workers", "2",
                      "-s", "ARCHIVE_EXTRACT_TIMEOUT=2", "-s", "ARCHIVE_MAX_EXTRACT_BYTES=0")
    assert done.returncode == 0, done.stderr
    rows = read_text_rows(dest)
    assert [row["url"] for row in rows] == ["http://news.example/first", "http://news.example/last"]
    assert all(ARTICLE_PARAGRAPHS[0] in row["text"] for row in rows)
    assert_rows_point_at_responses(rows, source.parent)
    counts = json.loads((dest / "manifest.json").read_text())["counts"]
    assert counts["extract_timeouts"] == 1 and counts["articles"] == 2
    # killed twice: with its batch (the first article's), then alone; never for the pages beside it
    assert counts["worker_restarts"] == 2
    assert "too_large" not in counts and "extract_crashes" not in counts
    assert f"Extraction of http://news.example/huge (hostile.warc.gz:{offsets['http://news.example/huge']}) " \
           "skipped: ran past its deadline of 2 s" in done.stderr
    assert "Traceback" not in done.stderr


class WorkerKiller(threading.Thread):
    """Kills the extraction workers forked from now on, as the OOM killer would: each once it
    has used ``cpu`` seconds, ``limit`` of them at most (None: every one, until stopped)."""

    def __init__(self, cpu: float, limit: int | None):
        super().__init__(name="worker-killer")
        server = start_extraction_server()
        assert server.process is not None
        self.server_pid = server.process.pid
        self.cpu = cpu
        self.limit = limit
        self.older = set(children(self.server_pid))
        self.killed: list[int] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set() and (self.limit is None or len(self.killed) < self.limit):
            for pid in set(children(self.server_pid)) - self.older - set(self.killed):
                used = cpu_seconds(pid)
                if used is not None and used >= self.cpu:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:  # it exited meanwhile
                        continue
                    self.killed.append(pid)
            time.sleep(0.01)

    def __enter__(self) -> WorkerKiller:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.join()


def test_a_page_whose_worker_is_killed_once_is_tried_again_and_gets_its_row(long_warc, tmp_path: Path) -> None:
    source, _ = long_warc
    with WorkerKiller(ON_THE_LONG_PAGE, limit=1) as killer:
        result = reextract(source, tmp_path / "out", workers=1, **{**PROJECT, "max_extract_bytes": 0})
    assert len(killer.killed) == 1
    rows = read_text_rows(tmp_path / "out")
    # the long page too: it extracts whole without a deadline, on its second try
    assert [row["url"] for row in rows] == ["http://news.example/first", "http://news.example/long",
                                            "http://news.example/last"]
    assert result.counts["worker_restarts"] == 1 and result.counts["articles"] == 3
    assert "extract_crashes" not in result.counts and "extract_timeouts" not in result.counts
    assert (tmp_path / "out" / "manifest.json").exists()


def test_a_page_that_kills_its_worker_twice_is_skipped_and_counted(long_warc, tmp_path: Path, caplog) -> None:
    source, offsets = long_warc
    with caplog.at_level(logging.WARNING, logger="scraper.tools.reextract"), \
            WorkerKiller(ON_THE_LONG_PAGE, limit=2) as killer:
        result = reextract(source, tmp_path / "out", workers=1, **{**PROJECT, "max_extract_bytes": 0})
    assert len(killer.killed) == 2
    rows = read_text_rows(tmp_path / "out")
    assert [row["url"] for row in rows] == ["http://news.example/first", "http://news.example/last"]
    assert result.counts["extract_crashes"] == 1 and result.counts["worker_restarts"] == 2
    assert f"Extraction of http://news.example/long (dying.warc.gz:{offsets['http://news.example/long']}) skipped " \
           f"after two tries: extraction worker {killer.killed[1]} died (exit code -9)" in caplog.text
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["counts"]["extract_crashes"] == 1


def test_workers_that_die_on_every_page_stop_the_run_with_a_clear_error(tmp_path: Path) -> None:
    """The extractor itself broken: the run gives up rather than start workers forever;
    nothing is left looking complete."""
    source = tmp_path / "long.warc.gz"
    long_page = HostileServer(huge_page_size=LONG_PAGE_SIZE).huge_page  # seconds each: never answered before the kill
    write_warc(source, {f"http://news.example/long-{n}": long_page for n in range(4)})
    with WorkerKiller(cpu=0, limit=None), pytest.raises(WorkerDied, match=r"died in a row.*giving up"):
        reextract(source, tmp_path / "out", workers=1, **{**PROJECT, "max_extract_bytes": 0})
    out = tmp_path / "out"
    assert not (out / "manifest.json").exists()
    assert not [path for path in out.rglob("*") if path.is_file() and not path.name.endswith(".open")]


def test_jobs_past_their_deadline_fail_alone_and_never_make_the_pool_give_up() -> None:
    """Killing a worker for its job's deadline is the job's fault, not a sign that workers cannot run."""
    pool = BlockingPool(1, start_extraction_server())
    try:
        pids = [pool.submit(os.getpid)]
        for _ in range(6):  # more than the deaths in a row after which the pool gives up
            slow = pool.submit(time.sleep, 60, timeout=0.3)
            pids.append(pool.submit(os.getpid))
            while not (slow.done and pids[-1].done):
                pool.wait()
            with pytest.raises(ExtractionTimeout, match=r"ran past its deadline of 0\.3 s"):
                slow.result()
        assert len({job.result() for job in pids}) == 7  # each killed worker replaced by a new one
        assert pool.restarts == 6
    finally:
        pool.close()
