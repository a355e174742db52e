"""The extraction pool survives a worker's death: the kernel's OOM killer, a crash in a
C library on some page. (With a bare ProcessPoolExecutor every page after it failed.)"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.site import DEFAULT_CORPUS, BenchSite, BenchSiteServer
from sample_site.command import crawl_command
from tests.support.crawl import ROOT, CrawlResult, crawl_settings, project_env
from tests.support.processes import extraction_workers

PAGES = 240


def _crawl_bench_site(tmp_path: Path, interrupt: Callable[[subprocess.Popen[bytes]], object]) -> CrawlResult:
    """Crawl a bench site of PAGES articles; ``interrupt`` runs once the first rows are written."""
    site = BenchSite.from_corpus(DEFAULT_CORPUS, PAGES)
    server = BenchSiteServer(site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(site.urls(server.base_url)) + "\n")
    settings = crawl_settings(tmp_path / "archive", "bench",
                              {"ARCHIVE_EXTRACT_WORKERS": "2", "CONCURRENT_REQUESTS_PER_DOMAIN": "8"})
    command = crawl_command({"urls_file": str(urls), "requisites": "0"}, settings)
    log_path = tmp_path / "crawl.log"
    try:
        with open(log_path, "w") as log:
            crawl = subprocess.Popen(command, cwd=ROOT, env=project_env(),
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            text = tmp_path / "archive" / "bench" / "text"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # until the first rows are written
                if any(p.stat().st_size > 0 for p in text.glob("*.open")) and extraction_workers(crawl.pid):
                    break
                time.sleep(0.02)
            interrupt(crawl)
            try:
                returncode = crawl.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(crawl.pid, signal.SIGKILL)  # leave no crawl behind
                raise
    finally:
        server.shutdown()
        server.server_close()
    return CrawlResult(returncode, log_path.read_text(), tmp_path / "archive" / "bench")


def test_a_killed_worker_costs_no_article(tmp_path: Path) -> None:
    victims: list[int] = []

    def kill_a_worker(crawl: subprocess.Popen[bytes]) -> None:
        victims.append(extraction_workers(crawl.pid)[0])
        os.kill(victims[0], signal.SIGKILL)

    result = _crawl_bench_site(tmp_path, kill_a_worker)
    assert result.returncode == 0, result.log
    victim = victims[0]
    stats = result.manifest["stats"]
    assert stats["archive/text/worker_restarts"] == 1
    assert "archive/text/extraction_errors" not in stats  # the pages caught in it were tried again
    assert len(result.text_rows()) == PAGES
    assert re.search(rf"Extraction worker {victim} died \(exit code -9\) holding \d pages; starting another",
                     result.log)


def test_ctrl_c_stops_the_crawl_gracefully_and_every_page_fetched_gets_its_row(tmp_path: Path) -> None:
    """Ctrl-C signals the whole process group, workers included. The crawl stops fetching,
    and the pages already fetched are still extracted: the workers ignore the signal. The
    crawl is not finished, so it gets no manifest and exits 1: run again, it resumes."""
    result = _crawl_bench_site(tmp_path, lambda crawl: os.killpg(crawl.pid, signal.SIGINT))
    assert result.returncode == 1, result.log
    assert not (result.crawl_dir / "manifest.json").exists()
    assert "stopped before its end (shutdown)" in result.log
    stats = {name: int(value) for name, value in re.findall(r"'(archive/[\w/]+)': (\d+)", result.log)}
    assert stats["archive/crawl/unfinished"] == 1
    assert "archive/text/extraction_errors" not in stats and "archive/text/worker_restarts" not in stats
    fetched = stats["archive/warc/responses"] - 1  # robots.txt
    assert 0 < fetched < PAGES  # stopped in the middle
    assert not list(result.crawl_dir.rglob("*.open"))  # every file closed whole
    assert len(result.text_rows()) == stats["archive/text/articles"] == fetched


POOL_SCRIPT = """
import json, os, sys

# Like bin/scrapy: a script file. A worker that ran it again (as multiprocessing's
# forkserver children do, to rebuild __main__) would import all it imports.
with open(os.environ["MAIN_RUNS"], "a") as runs:
    runs.write(f"{__name__} {os.getpid()}\\n")

from twisted.internet import task, threads
from twisted.internet.defer import ensureDeferred, gatherResults
from scraper.workers.forkserver import ensure_running
from scraper.workers.pool import ExtractionPool, WorkerDied

async def main(reactor):
    pool = ExtractionPool(2, ensure_running([]))
    threads.deferToThread(pool.start_processes).addCallbacks(pool.adopt, pool.abandon)
    report = {}
    report["pids"] = sorted(set(await gatherResults([pool.submit(os.getpid) for _ in range(8)])))
    try:
        await pool.submit(os._exit, 9)
    except WorkerDied as error:
        report["died"] = str(error)
    seen = set()
    for _ in range(200):  # until the replacement answers
        seen.update(await gatherResults([pool.submit(os.getpid) for _ in range(4)]))
        if seen - set(report["pids"]):
            break
        await task.deferLater(reactor, 0.05, lambda: None)
    report["replacement"] = sorted(seen - set(report["pids"]))
    try:
        await pool.submit(int, "not a number")
    except ValueError as error:
        report["error"] = str(error)
    for _ in range(7):  # workers that die every time: the pool gives up
        try:
            await pool.submit(os._exit, 9)
        except WorkerDied:
            pass
    try:
        pool.submit(os.getpid)
    except RuntimeError as error:
        report["given_up"] = str(error)
    await pool.shutdown()
    print(json.dumps(report))

if __name__ == "__main__":
    task.react(lambda reactor: ensureDeferred(main(reactor)))
"""


def test_the_pool_replaces_dead_workers_and_gives_up_on_workers_that_keep_dying(tmp_path: Path) -> None:
    script, main_runs = tmp_path / "pool_script.py", tmp_path / "main-runs.txt"
    script.write_text(POOL_SCRIPT)
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**project_env(), "MAIN_RUNS": str(main_runs)})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(report["pids"]) == 2  # two workers shared the jobs
    died = re.fullmatch(r"extraction worker (\d+) died", report["died"])
    assert died and int(died[1]) in report["pids"], report["died"]  # the job failed, naming its worker
    assert "(exit code 9)" in done.stderr  # the fork server told the pool how its worker ended
    assert len(report["replacement"]) == 1  # a new worker took the dead one's place
    assert report["error"] == "invalid literal for int() with base 10: 'not a number'"  # errors cross as they are
    assert "died in a row" in report["given_up"]
    assert "The extraction pool gives up" in done.stderr
    # The script ran once, as __main__: no worker (there were ten) ran it again.
    runs = main_runs.read_text().splitlines()
    assert len(runs) == 1 and runs[0].startswith("__main__ "), runs


def test_the_fork_server_reports_how_each_worker_ended_and_exits_when_told() -> None:
    from scraper.workers.forkserver import ForkServer

    server = ForkServer([])
    server.start()
    try:
        pids = []
        for _ in range(3):
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            pids.append((server.fork(theirs).pid, ours))
            theirs.close()
        (quits, quits_sock), (killed, killed_sock), (hangs, _hangs_sock) = pids
        assert len({quits, killed, hangs}) == 3
        quits_sock.close()  # the worker reads the end of its socket and exits
        os.kill(killed, signal.SIGKILL)
        assert server.exit_code(quits, timeout=10) == 0
        assert server.exit_code(killed, timeout=10) == -signal.SIGKILL
        assert server.exit_code(hangs, timeout=0.2) is None  # still waiting for its jobs
        killed_sock.close()
    finally:
        server.stop()
    assert server.process is not None and server.process.returncode == 0
    with pytest.raises(RuntimeError, match="stopped"):
        server.fork(socket.socketpair()[0])
