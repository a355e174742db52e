"""Huge pages: archived as they came, their text skipped and counted, the crawl going on.

A page past ARCHIVE_MAX_EXTRACT_BYTES is never sent to extraction; a page whose extraction
runs past ARCHIVE_EXTRACT_TIMEOUT has its worker killed and replaced, and the pages after
it still get their rows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from tests.support.crawl import ROOT, CrawlResult, project_env, run_crawl
from tests.support.hostile import HostileServer


def crawl_huge_page(tmp_path: Path, settings: dict[str, str]) -> tuple[HostileServer, str, CrawlResult]:
    server = HostileServer()  # its huge page: 8 MiB of article-like markup
    base = server.start()
    try:
        result = run_crawl(tmp_path / "archive", {"urls": f"{base}/h/huge-page {base}/h/ok", "requisites": "0",
                                                  "follow": "0"},
                           {"ARCHIVE_EXTRACT_WORKERS": "1", **settings})
    finally:
        server.stop()
    assert result.returncode == 0, result.log
    return server, base, result


def archived_bodies(result: CrawlResult) -> dict[str, bytes]:
    bodies = {}
    for path in result.warc_files():
        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type == "response":
                    bodies[record.rec_headers.get_header("WARC-Target-URI")] = record.content_stream().read()
    return bodies


def test_a_page_over_the_size_cap_is_archived_but_not_extracted(tmp_path: Path) -> None:
    server, base, result = crawl_huge_page(tmp_path, {"ARCHIVE_MAX_EXTRACT_BYTES": str(4 << 20)})
    assert archived_bodies(result)[f"{base}/h/huge-page"] == server.huge_page
    stats = result.manifest["stats"]
    assert stats["archive/text/too_large"] == 1
    assert "archive/text/extraction_timeouts" not in stats
    assert [row["url"] for row in result.text_rows()] == [f"{base}/h/ok"]
    assert "Traceback" not in result.log


def test_an_extraction_past_the_deadline_is_skipped_and_its_worker_replaced(tmp_path: Path) -> None:
    server, base, result = crawl_huge_page(tmp_path, {"ARCHIVE_MAX_EXTRACT_BYTES": "0",  # no size cap
                                                      "ARCHIVE_EXTRACT_TIMEOUT": "2"})
    assert archived_bodies(result)[f"{base}/h/huge-page"] == server.huge_page
    stats = result.manifest["stats"]
    assert stats["archive/text/extraction_timeouts"] == 1
    assert stats["archive/text/worker_restarts"] == 1
    assert "archive/text/too_large" not in stats
    assert [row["url"] for row in result.text_rows()] == [f"{base}/h/ok"]  # the crawl went on
    assert "ran one page past 2.0 s: killing it" in result.log
    assert "Traceback" not in result.log


DEADLINE_SCRIPT = """
import json, os, time
from twisted.internet import task, threads
from twisted.internet.defer import ensureDeferred
from scraper.workers.forkserver import ensure_running
from scraper.workers.pool import ExtractionPool, ExtractionTimeout

async def main(reactor):
    pool = ExtractionPool(1, ensure_running([]), timeout=0.5)
    threads.deferToThread(pool.start_processes).addCallbacks(pool.adopt, pool.abandon)
    first = await pool.submit(os.getpid)
    report = {"timeouts": 0, "pids": [first]}
    for _ in range(6):  # more than the deaths in a row after which the pool gives up
        try:
            await pool.submit(time.sleep, 60)
        except ExtractionTimeout:
            report["timeouts"] += 1
        report["pids"].append(await pool.submit(os.getpid))
    await pool.shutdown()
    print(json.dumps(report))

if __name__ == "__main__":
    task.react(lambda reactor: ensureDeferred(main(reactor)))
"""


def test_jobs_past_the_deadline_fail_alone_and_never_break_the_pool(tmp_path: Path) -> None:
    script = tmp_path / "deadline_script.py"
    script.write_text(DEADLINE_SCRIPT)
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=project_env())
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["timeouts"] == 6
    assert len(set(report["pids"])) == 7  # each killed worker replaced by a new one
    assert "gives up" not in done.stderr
