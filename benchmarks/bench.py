"""How fast the archiving crawl runs against the CPU bound and a do-it-yourself pipeline.

On one local site of N distinct article pages (:mod:`benchmarks.site`, its own process),
it measures side by side:

(a) the crawl, ``scrapy crawl articles`` writing what it writes by default, politeness
    delays off for loopback; with the peak memory of its whole process tree;
(b) ``wget --warc-file`` over the URL list, then trafilatura's CLI on the saved pages
    (``--json --no-comments --with-metadata --parallel <cores>``);
(c) :func:`scraper.extract.extractor.extract_article` alone in a process pool on all cores:
    the CPU bound of the crawl.

Each is measured ``--rounds`` times, interleaved, and the median run of each is reported
(the spread is printed too). It writes the figures to ``.bench/run-<N>/results.json``;
it asserts no time.

    python -m benchmarks.bench [--pages 1000] [--rounds 3] [--skip-diy] [--skip-pool] [--skip-crawl]
    python -m benchmarks.bench --memory 1000,5000      # crawl only: peak memory by size
    python -m benchmarks.bench -s ARCHIVE_GZIP_LEVEL=3 # any Scrapy setting for the crawl

To try a patched component without editing the tree, put its module on PYTHONPATH and
name it in a setting (``-s 'DOWNLOAD_HANDLERS={"http": "mymodule.Handler"}'``): the crawl
gets the project first on its path, then PYTHONPATH.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from benchmarks.site import DEFAULT_CORPUS, STATS_PATH, BenchSite
from sample_site.command import crawl_command as scrapy_crawl_command
from sample_site.command import scrapy_script

__all__ = [
    "CrawlRun",
    "DiyRun",
    "PoolRun",
    "ProcessTreeMonitor",
    "SiteProcess",
    "crawl_command",
    "crawl_environment",
    "main",
    "run_crawl",
    "run_diy",
    "run_pool",
]

ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = ROOT / ".bench"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

#: Settings of the benchmark crawl: politeness delays off on loopback, nothing else changed.
CRAWL_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "ARCHIVE_PROGRESS_INTERVAL": "0",
    "LOG_LEVEL": "INFO",
}


# -- the site, in its own process ----------------------------------------------------


class SiteProcess:
    """``python -m benchmarks.site serve`` in a child process (no GIL shared with the bench)."""

    def __init__(self, pages: int, corpus: Path):
        self.pages = pages
        self.corpus = corpus
        self.base_url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> SiteProcess:
        command = [sys.executable, "-m", "benchmarks.site", "serve", "--pages", str(self.pages),
                   "--corpus", str(self.corpus)]
        self._process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.startswith("serving "):
            self._process.kill()
            raise RuntimeError(f"the bench site did not start: {line!r}")
        self.base_url = line.split()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGTERM)
            self._process.wait(timeout=10)

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def cpu_seconds(self) -> float:
        """User + system CPU the server has used so far."""
        return process_cpu_seconds(self.pid) or 0.0

    def counts(self) -> tuple[int, int]:
        """Connections and requests the server has had so far, this question not counted."""
        from urllib.request import urlopen

        with urlopen(self.base_url + STATS_PATH, timeout=10) as response:
            counts = json.load(response)
        return counts["connections"] - 1, counts["requests"] - 1

    def counts_since(self, before: tuple[int, int]) -> tuple[int, int]:
        """Connections and requests since ``before`` (one stats question in between discounted)."""
        connections, requests = self.counts()
        return connections - before[0] - 1, requests - before[1] - 1


# -- /proc sampling ----------------------------------------------------------------------


def _stat_fields(path: str) -> list[str] | None:
    """Fields of a /proc stat file after the ``(comm)`` field: [state, ppid, ...]."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:  # the process or thread has just exited
        return None
    return data[data.rindex(b")") + 2 :].decode("ascii").split()


def process_cpu_seconds(pid: int) -> float | None:
    fields = _stat_fields(f"/proc/{pid}/stat")
    return None if fields is None else (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(f"/proc/{entry}/stat")
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def _children_of(pid: int) -> list[int] | None:
    """The children of ``pid`` from its threads' ``children`` files, or None where the kernel has none.

    A few small reads, not one for every process on the machine as :func:`_children_map` does.
    """
    children: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []  # the process has just exited
    for thread in threads:
        try:
            with open(f"/proc/{pid}/task/{thread}/children", "rb") as f:
                children += [int(child) for child in f.read().split()]
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{thread}"):
                continue  # the thread has just exited
            return None  # a kernel without CONFIG_PROC_CHILDREN
        except OSError:
            continue
    return children


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError):
        return 0


def _pss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


@dataclass(frozen=True)
class CpuSnapshot:
    """Whole-machine CPU counters (/proc/stat) and this process's children's CPU, at a moment."""

    machine_busy: float  # seconds of all cores, not idle
    machine_total: float
    children_seconds: float  # user + system of waited-for children (resource.RUSAGE_CHILDREN)

    @classmethod
    def take(cls) -> CpuSnapshot:
        import resource

        with open("/proc/stat") as f:
            ticks = [int(value) for value in f.readline().split()[1:]]
        idle = ticks[3] + ticks[4]  # idle + iowait
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return cls((sum(ticks[:8]) - idle) / CLOCK_TICKS, sum(ticks[:8]) / CLOCK_TICKS,
                   usage.ru_utime + usage.ru_stime)

    def busy_cores_since(self, before: CpuSnapshot) -> float:
        """How many cores the whole machine kept busy between ``before`` and now, all users."""
        total = self.machine_total - before.machine_total
        return (self.machine_busy - before.machine_busy) / total * (os.cpu_count() or 1) if total else 0.0


@dataclass
class TreeFigures:
    """What :class:`ProcessTreeMonitor` saw of a process tree."""

    samples: int = 0
    peak_rss: int = 0  # bytes, RSS summed over the tree at one moment
    peak_pss: int = 0  # bytes, PSS summed (shared pages counted once)
    peak_processes: int = 0
    peak_rss_by_role: dict[str, int] = field(default_factory=dict)  # at the sample of peak RSS
    cpu_by_role: dict[str, float] = field(default_factory=dict)  # seconds


class ProcessTreeMonitor(threading.Thread):
    """Samples a process and all its descendants every ``interval`` seconds from /proc.

    Peak memory is the largest sum over the tree at one sample; CPU is the last value
    seen of each process (and of each thread of the root), so a process that exits
    between two samples loses at most ``interval`` of its CPU time.

    The monitor shares the machine with the crawl it measures, so it reads little. The
    tree is walked through each process's ``children`` files, not by reading the stat of
    every process on the machine (1 ms a sample). PSS is read when the tree's RSS has
    grown ``pss_step`` bytes past the last reading, and at least every ``pss_interval``
    seconds: the kernel walks every mapping to answer ``smaps_rollup`` (about 5 ms of CPU
    for a 150 MB process). Reading it at every new high of RSS, which is nearly every
    sample while a crawl warms up, took 1 to 1.3 s of CPU over a 16 s crawl.
    """

    def __init__(self, root_pid: int, interval: float = 0.1, pss_interval: float = 2.0, pss_step: int = 4 << 20):
        super().__init__(name="process-tree-monitor", daemon=True)
        self.root_pid = root_pid
        self.interval = interval
        self.pss_interval = pss_interval
        self.pss_step = pss_step
        self._pss_last = 0.0
        self._pss_last_rss = 0
        self.figures = TreeFigures()
        self._stop_event = threading.Event()
        self._roles: dict[int, str] = {}
        self._cpu: dict[int, float] = {}
        self._thread_cpu: dict[int, float] = {}

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.interval)

    def stop(self) -> TreeFigures:
        self._stop_event.set()
        self.join()
        by_role: dict[str, float] = {}
        for pid, seconds in self._cpu.items():
            role = self._roles[pid]
            by_role[role] = by_role.get(role, 0.0) + seconds
        main_thread = self._thread_cpu.get(self.root_pid, 0.0)
        by_role["crawl: main thread (reactor)"] = main_thread
        by_role["crawl: other threads (WARC writer, derivers)"] = by_role.pop("crawl", 0.0) - main_thread
        self.figures.cpu_by_role = dict(sorted(by_role.items()))
        return self.figures

    def _role(self, pid: int, parent_roles: dict[int, str]) -> str:
        if pid == self.root_pid:
            return "crawl"
        command = _cmdline(pid)
        if "resource_tracker" in command:
            return "pool: resource tracker"
        if "forkserver" in command and parent_roles.get(pid) == "crawl":
            return "pool: forkserver"
        if "forkserver" in command or "multiprocessing.spawn" in command:
            return "pool: extraction workers"
        return "other"

    def sample(self) -> None:
        if not os.path.exists(f"/proc/{self.root_pid}"):
            return
        children_map: dict[int, list[int]] | None = None
        parent_roles: dict[int, str] = {}
        pids, queue = [], [self.root_pid]
        while queue:
            pid = queue.pop()
            pids.append(pid)
            if pid not in self._roles:
                self._roles[pid] = self._role(pid, parent_roles)
            children = _children_of(pid) if children_map is None else None
            if children is None:
                children_map = children_map or _children_map()
                children = children_map.get(pid, [])
            for child in children:
                parent_roles[child] = self._roles[pid]
                queue.append(child)
        rss_by_pid = {pid: _rss_bytes(pid) for pid in pids}
        rss = sum(rss_by_pid.values())
        now = time.monotonic()
        if rss >= self._pss_last_rss + self.pss_step or now - self._pss_last >= self.pss_interval:
            self._pss_last, self._pss_last_rss = now, rss
            self.figures.peak_pss = max(self.figures.peak_pss, sum(_pss_bytes(pid) for pid in pids))
        for pid in pids:
            seconds = process_cpu_seconds(pid)
            if seconds is not None:
                self._cpu[pid] = seconds
        main = _stat_fields(f"/proc/{self.root_pid}/task/{self.root_pid}/stat")
        if main is not None:
            self._thread_cpu[self.root_pid] = (int(main[11]) + int(main[12])) / CLOCK_TICKS
        figures = self.figures
        figures.samples += 1
        if rss > figures.peak_rss:
            figures.peak_rss = rss
            figures.peak_rss_by_role = {}
            for pid, size in rss_by_pid.items():
                role = self._roles[pid]
                figures.peak_rss_by_role[role] = figures.peak_rss_by_role.get(role, 0) + size
        figures.peak_processes = max(figures.peak_processes, len(pids))


# -- (a) the crawl ---------------------------------------------------------------------------


def crawl_command(urls_file: Path, archive_dir: Path, settings: dict[str, str]) -> list[str]:
    """``scrapy crawl articles`` over ``urls_file`` (pages only), into ``archive_dir/bench``.

    Run as users run it (README): the ``scrapy`` script of the environment, not
    ``python -m scrapy`` (see :func:`sample_site.command.scrapy_script`).
    """
    all_settings = {**CRAWL_SETTINGS, "ARCHIVE_URI": str(archive_dir), "ARCHIVE_CRAWL_ID": "bench", **settings}
    return scrapy_crawl_command({"urls_file": str(urls_file), "requisites": "0"}, all_settings,
                                launcher=scrapy_script())


def crawl_environment() -> dict[str, str]:
    """The crawl's environment: the project first on the path, then any PYTHONPATH given (to try a patch)."""
    extra = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + extra if extra else "")}


@dataclass
class CrawlRun:
    pages: int
    wall_seconds: float  # process start to exit
    crawl_seconds: float  # the manifest's start_time to end_time (no start-up, no shutdown)
    responses: int
    articles: int
    not_articles: int
    extraction_errors: int
    finish_reason: str
    warc_bytes: int
    text_bytes: int
    files: int
    peak_rss: int
    peak_pss: int
    peak_processes: int
    peak_rss_by_role: dict[str, int]
    cpu_by_role: dict[str, float]
    server_cpu_seconds: float
    server_connections: int
    server_requests: int
    machine_busy_cores: float  # the whole machine during the run: the crawl, the site and anyone else

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.wall_seconds

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu_by_role.values())


def run_crawl(site: SiteProcess, urls_file: Path, pages: int, run_dir: Path, settings: dict[str, str]) -> CrawlRun:
    """Run the crawl as a user runs it, sampling its process tree."""
    archive_dir = run_dir / "crawl"
    shutil.rmtree(archive_dir, ignore_errors=True)
    log_path = run_dir / "crawl.log"
    env = crawl_environment()
    server_cpu = site.cpu_seconds()
    server_counts = site.counts()
    machine = CpuSnapshot.take()
    with log_path.open("w") as log:
        started = time.perf_counter()
        process = subprocess.Popen(crawl_command(urls_file, archive_dir, settings), cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        monitor = ProcessTreeMonitor(process.pid)
        monitor.start()
        returncode = process.wait()
        wall = time.perf_counter() - started
        busy_cores = CpuSnapshot.take().busy_cores_since(machine)
        figures = monitor.stop()
    if returncode != 0:
        raise RuntimeError(f"the crawl failed ({returncode}); see {log_path}")
    manifest = json.loads((archive_dir / "bench" / "manifest.json").read_text())
    stats = manifest["stats"]
    crawl_seconds = (datetime.fromisoformat(manifest["end_time"])
                     - datetime.fromisoformat(manifest["start_time"])).total_seconds()
    files = manifest["files"]
    connections, requests = site.counts_since(server_counts)
    return CrawlRun(
        pages=pages,
        wall_seconds=wall,
        crawl_seconds=crawl_seconds,
        responses=int(stats.get("archive/warc/responses", 0)),
        articles=int(stats.get("archive/text/articles", 0)),
        not_articles=int(stats.get("archive/text/not_article", 0)),
        extraction_errors=int(stats.get("archive/text/extraction_errors", 0)),
        finish_reason=manifest["finish_reason"],
        warc_bytes=sum(f["size"] for f in files if f["path"].startswith("warc/")),
        text_bytes=sum(f["size"] for f in files if f["path"].startswith("text/")),
        files=len(files),
        peak_rss=figures.peak_rss,
        peak_pss=figures.peak_pss,
        peak_processes=figures.peak_processes,
        peak_rss_by_role=figures.peak_rss_by_role,
        cpu_by_role=figures.cpu_by_role,
        server_cpu_seconds=site.cpu_seconds() - server_cpu,
        server_connections=connections,
        server_requests=requests,
        machine_busy_cores=busy_cores,
    )


# -- (b) wget + trafilatura's CLI -----------------------------------------------------------


@dataclass
class DiyRun:
    pages: int
    wget_seconds: float
    trafilatura_seconds: float
    saved_pages: int
    outputs: int
    warc_bytes: int
    server_cpu_seconds: float
    server_connections: int
    server_requests: int
    wget_cpu_seconds: float
    trafilatura_cpu_seconds: float  # its workers included
    machine_busy_cores: float

    @property
    def wall_seconds(self) -> float:
        return self.wget_seconds + self.trafilatura_seconds

    @property
    def cpu_seconds(self) -> float:
        return self.wget_cpu_seconds + self.trafilatura_cpu_seconds

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.wall_seconds


def diy_commands(urls_file: Path, diy_dir: Path, workers: int) -> tuple[list[str], list[str]]:
    """The researcher's two steps: wget into a WARC and a folder, trafilatura's CLI over it.

    One trafilatura run over the whole folder: past 1,000 files it writes into numbered
    sub-folders (``out/1``, ``out/2``), which is fine. What loses outputs is its file
    naming, a hash of the extracted text's words: near-duplicate pages get one name and
    overwrite each other (``--keep-dirs`` would name them after their inputs, but in
    trafilatura 2.3 it writes into a folder it never creates, and loses them all).
    The bench site makes every page's text distinct, so no output is lost here.
    """
    wget = ["wget", "--quiet", f"--input-file={urls_file}", f"--warc-file={diy_dir / 'wget'}",
            f"--directory-prefix={diy_dir / 'pages'}"]
    trafilatura = [str(Path(sys.executable).with_name("trafilatura")), "--input-dir", str(diy_dir / "pages"),
                   "--output-dir", str(diy_dir / "out"), "--json", "--no-comments", "--with-metadata",
                   "--parallel", str(workers)]
    return wget, trafilatura


def run_diy(site: SiteProcess, urls_file: Path, pages: int, run_dir: Path, workers: int) -> DiyRun:
    diy_dir = run_dir / "diy"
    shutil.rmtree(diy_dir, ignore_errors=True)
    diy_dir.mkdir(parents=True)
    if shutil.which("wget") is None:
        raise RuntimeError("wget is not installed: apt-get install -y wget (make bench does it)")
    wget, trafilatura = diy_commands(urls_file, diy_dir, workers)
    server_cpu = site.cpu_seconds()
    server_counts = site.counts()
    first = CpuSnapshot.take()
    started = time.perf_counter()
    subprocess.run(wget, check=True)
    wget_seconds = time.perf_counter() - started
    middle = CpuSnapshot.take()
    server_cpu = site.cpu_seconds() - server_cpu
    connections, requests = site.counts_since(server_counts)
    started = time.perf_counter()
    with (run_dir / "trafilatura.log").open("w") as log:
        subprocess.run(trafilatura, check=True, stdout=log, stderr=subprocess.STDOUT)
    trafilatura_seconds = time.perf_counter() - started
    last = CpuSnapshot.take()
    return DiyRun(
        pages=pages,
        wget_seconds=wget_seconds,
        trafilatura_seconds=trafilatura_seconds,
        saved_pages=sum(1 for _ in (diy_dir / "pages").iterdir()),
        outputs=sum(1 for _ in (diy_dir / "out").rglob("*.json")),
        warc_bytes=sum(path.stat().st_size for path in diy_dir.glob("wget*.warc.gz")),
        server_cpu_seconds=server_cpu,
        server_connections=connections,
        server_requests=requests,
        wget_cpu_seconds=middle.children_seconds - first.children_seconds,
        trafilatura_cpu_seconds=last.children_seconds - middle.children_seconds,
        machine_busy_cores=last.busy_cores_since(first),
    )


# -- (c) extraction alone in a process pool -------------------------------------------------


@dataclass
class PoolRun:
    pages: int
    workers: int
    wall_seconds: float
    articles: int
    extraction_cpu_seconds: float  # CPU of the extract_article calls, summed
    worker_cpu_seconds: float  # all CPU of the workers while timed (IPC included)
    parent_cpu_seconds: float  # this process: decoding pages, pickling them
    machine_busy_cores: float

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.wall_seconds

    @property
    def cpu_seconds(self) -> float:
        return self.worker_cpu_seconds + self.parent_cpu_seconds


@dataclass(frozen=True)
class _Extracted:
    is_article: bool
    call_cpu_seconds: float  # the extract_article call
    worker_pid: int
    worker_cpu_seconds: float  # the worker's whole CPU time so far


def _timed_extract(html: str, url: str) -> _Extracted:
    """Extract as the pipeline does; say whether it is an article and what CPU it took."""
    from scraper.extract.extractor import extract_article
    from scraper.extract.model import ExtractionOptions
    from scraper.settings import ARCHIVE_MIN_TEXT_CHARS

    started = time.process_time()
    article = extract_article(html, url, ExtractionOptions(min_text_chars=ARCHIVE_MIN_TEXT_CHARS))
    now = time.process_time()
    return _Extracted(article is not None, now - started, os.getpid(), now)


def _pages(site: BenchSite, base_url: str, pages: int) -> Iterator[tuple[str, str]]:
    for number, url in enumerate(site.urls(base_url)[:pages]):
        yield site.page(number).decode("utf-8"), url


def run_pool(site: BenchSite, base_url: str, pages: int, workers: int) -> PoolRun:
    """Extraction of every page on ``workers`` processes, as fast as they go.

    The pool is started and every worker has extracted a page before the clock starts;
    pages are decoded here, as the crawl's reactor decodes them, and sent as ``str``.
    """
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["scraper.extract.warm"])  # as the crawl's fork server: warm, heap frozen
    worker_cpu: dict[int, tuple[float, float]] = {}  # pid: (CPU when the clock started, last CPU seen)
    results: list[_Extracted] = []

    def collect(future: Future[_Extracted]) -> None:
        result = future.result()
        results.append(result)
        start, _ = worker_cpu.get(result.worker_pid, (0.0, 0.0))
        worker_cpu[result.worker_pid] = (start, result.worker_cpu_seconds)

    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        warm_up = [pool.submit(_timed_extract, site.page(n).decode("utf-8"), "http://127.0.0.1/warm-up")
                   for n in range(workers * 2)]
        for future in warm_up:
            result = future.result()
            worker_cpu[result.worker_pid] = (result.worker_cpu_seconds, result.worker_cpu_seconds)
        in_flight: set[Future[_Extracted]] = set()
        machine = CpuSnapshot.take()
        parent_started = time.process_time()
        started = time.perf_counter()
        for html, url in _pages(site, base_url, pages):
            if len(in_flight) >= workers * 4:  # a bounded queue, as in the crawl
                done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    collect(future)
            in_flight.add(pool.submit(_timed_extract, html, url))
        for future in in_flight:
            collect(future)
        wall = time.perf_counter() - started
        parent_cpu = time.process_time() - parent_started
        busy_cores = CpuSnapshot.take().busy_cores_since(machine)
    return PoolRun(
        pages=pages,
        workers=workers,
        wall_seconds=wall,
        articles=sum(result.is_article for result in results),
        extraction_cpu_seconds=sum(result.call_cpu_seconds for result in results),
        worker_cpu_seconds=sum(last - start for start, last in worker_cpu.values()),
        parent_cpu_seconds=parent_cpu,
        machine_busy_cores=busy_cores,
    )


# -- reporting ----------------------------------------------------------------------------------


def _mb(size: int) -> str:
    return f"{size / 1e6:.0f} MB"


def print_comparison(pages: int, crawl: CrawlRun | None, diy: DiyRun | None, pool: PoolRun | None) -> None:
    """The side-by-side table, the ratios, and the crawl's memory and CPU."""
    cores = os.cpu_count() or 1
    rows = [("run", "wall s", "pages/s", "articles", "CPU ms/page", "cores used", "machine busy", "")]

    def row(name: str, wall: float, articles: int, cpu: float, busy: float, note: str) -> None:
        rows.append((name, f"{wall:.1f}", f"{pages / wall:.1f}", str(articles), f"{cpu / pages * 1000:.1f}",
                     f"{cpu / wall:.2f}", f"{busy:.2f}/{cores}", note))

    if crawl is not None:
        row("(a) crawl: WARC + text", crawl.wall_seconds, crawl.articles, crawl.cpu_seconds,
            crawl.machine_busy_cores,
            f"{pages / crawl.crawl_seconds:.1f} pages/s from spider open to close; "
            f"WARC {_mb(crawl.warc_bytes)}, text {_mb(crawl.text_bytes)}")
    if diy is not None:
        row("(b) wget + trafilatura CLI", diy.wall_seconds, diy.outputs, diy.cpu_seconds, diy.machine_busy_cores,
            f"wget {diy.wget_seconds:.1f} s ({diy.wget_cpu_seconds:.1f} s CPU) + trafilatura "
            f"{diy.trafilatura_seconds:.1f} s ({diy.trafilatura_cpu_seconds:.1f} s CPU); WARC {_mb(diy.warc_bytes)}")
    if pool is not None:
        row(f"(c) extraction, {pool.workers} processes", pool.wall_seconds, pool.articles, pool.cpu_seconds,
            pool.machine_busy_cores,
            f"extract_article itself {pool.extraction_cpu_seconds / pages * 1000:.1f} ms/page")
    widths = [max(len(cells[i]) for cells in rows) for i in range(7)]
    for cells in rows:
        print("  ".join(cell.ljust(width) if i == 0 else cell.rjust(width)
                        for i, (cell, width) in enumerate(zip(cells[:7], widths, strict=True))) + "  " + cells[7])
    print("(cores used: CPU of the run's processes / wall; machine busy: all processes on the machine, "
          "others' included: above 'cores used', the run shared the machine)")
    if crawl is not None and diy is not None:
        print(f"(a)/(b) = {crawl.pages_per_second / diy.pages_per_second:.2f}   (target >= 1.2)")
    if crawl is not None and pool is not None:
        print(f"(a)/(c) = {crawl.pages_per_second / pool.pages_per_second:.2f}   (target >= 0.75); "
              f"spider open to close only: {pages / crawl.crawl_seconds / pool.pages_per_second:.2f}; "
              f"CPU a page (c)/(a) = {pool.cpu_seconds / crawl.cpu_seconds:.2f} "
              "(what (a)/(c) tends to with every core busy in both)")
    if crawl is not None:
        print_crawl_details(crawl)


def print_crawl_details(crawl: CrawlRun) -> None:
    print(f"crawl of {crawl.pages} pages: peak memory of its process tree (up to {crawl.peak_processes} processes): "
          f"RSS summed {_mb(crawl.peak_rss)}, PSS summed {_mb(crawl.peak_pss)} (target < 400 MB)")
    print("  RSS at that moment: " + ", ".join(f"{role} {_mb(size)}" for role, size in crawl.peak_rss_by_role.items()))
    print(f"  {crawl.responses} responses archived, {crawl.articles} articles, {crawl.not_articles} not articles, "
          f"{crawl.extraction_errors} extraction errors; finish reason {crawl.finish_reason}; "
          f"the site answered {crawl.server_requests} requests on {crawl.server_connections} connections")
    print(f"  CPU: {crawl.cpu_seconds:.1f} s in the crawl's processes over {crawl.wall_seconds:.1f} s "
          f"({crawl.cpu_seconds / crawl.wall_seconds:.2f} cores busy), "
          f"{crawl.cpu_seconds / crawl.pages * 1000:.1f} ms a page; the bench site used "
          f"{crawl.server_cpu_seconds / crawl.pages * 1000:.1f} ms a page")
    for role, seconds in crawl.cpu_by_role.items():
        print(f"    {role:<52} {seconds:7.1f} s  {seconds / crawl.pages * 1000:6.1f} ms/page  "
              f"{seconds / crawl.wall_seconds:5.0%} of a core")


def machine_note() -> str:
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    return f"{os.cpu_count()} cores, load average {' '.join(load)} at start"


# -- main ----------------------------------------------------------------------------------------


def parse_settings(pairs: Sequence[str]) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"-s takes NAME=VALUE, not {pair!r}")
        settings[name] = value
    return settings


def write_urls(site: BenchSite, base_url: str, pages: int, path: Path) -> None:
    path.write_text("\n".join(site.urls(base_url)[:pages]) + "\n", encoding="utf-8")


RunT = TypeVar("RunT", CrawlRun, DiyRun, PoolRun)


def median_run(runs: list[RunT]) -> RunT | None:
    """The run of median speed (the slower middle one of an even number), or None."""
    return sorted(runs, key=lambda run: run.pages_per_second)[(len(runs) - 1) // 2] if runs else None


def print_rounds(crawls: list[CrawlRun], diys: list[DiyRun], pools: list[PoolRun]) -> None:
    """Each round's figures, so the spread behind the medians shows."""
    for name, runs in (("(a)", crawls), ("(b)", diys), ("(c)", pools)):
        if runs:
            print(f"{name} pages/s by round: " + ", ".join(f"{run.pages_per_second:.1f}" for run in runs))
    if crawls and pools:
        print("(a)/(c) by round: " + ", ".join(f"{a.pages_per_second / c.pages_per_second:.2f}"
                                               for a, c in zip(crawls, pools, strict=True)))


def bench_comparison(args: argparse.Namespace, settings: dict[str, str]) -> dict[str, Any]:
    pages, workers, rounds = args.pages, args.workers, args.rounds
    run_dir = WORK_DIR / f"run-{pages}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    site = BenchSite.from_corpus(args.corpus, pages)
    print(f"bench: {pages} distinct pages from {len(site.sources)} source pages; {machine_note()}; "
          f"{rounds} round(s), medians reported; outputs in {run_dir}", flush=True)
    crawls: list[CrawlRun] = []
    diys: list[DiyRun] = []
    pools: list[PoolRun] = []
    with SiteProcess(pages, args.corpus) as server:
        urls_file = run_dir / "urls.txt"
        write_urls(site, server.base_url, pages, urls_file)
        # Interleaved rounds: a slow or fast spell of a shared machine falls on all three.
        for number in range(1, rounds + 1):
            if not args.skip_pool:
                print(f"round {number}: (c) extraction alone on {workers} processes ...", flush=True)
                pools.append(run_pool(site, server.base_url, pages, workers))
            if not args.skip_crawl:
                print(f"round {number}: (a) the crawl ...", flush=True)
                crawls.append(run_crawl(server, urls_file, pages, run_dir, settings))
            if not args.skip_diy:
                print(f"round {number}: (b) wget + trafilatura ...", flush=True)
                diys.append(run_diy(server, urls_file, pages, run_dir, workers))
    crawl, diy, pool = median_run(crawls), median_run(diys), median_run(pools)
    print()
    print_comparison(pages, crawl, diy, pool)
    if rounds > 1:
        print_rounds(crawls, diys, pools)
    results: dict[str, Any] = {"pages": pages, "workers": workers, "rounds": rounds, "settings": settings,
                               "machine": machine_note()}
    for name, run, runs in (("crawl", crawl, crawls), ("diy", diy, diys), ("pool", pool, pools)):
        if run is not None:
            results[name] = {**asdict(run), "pages_per_second": run.pages_per_second,
                             "pages_per_second_by_round": [r.pages_per_second for r in runs]}
    if not args.keep:
        shutil.rmtree(run_dir / "diy", ignore_errors=True)
        shutil.rmtree(run_dir / "crawl", ignore_errors=True)
    (run_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return results


def bench_memory(args: argparse.Namespace, settings: dict[str, str]) -> dict[str, Any]:
    sizes = sorted(int(size) for size in args.memory.split(","))
    run_dir = WORK_DIR / "memory"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    site = BenchSite.from_corpus(args.corpus, max(sizes))
    print(f"bench memory: crawls of {', '.join(map(str, sizes))} pages; {machine_note()}", flush=True)
    runs: list[CrawlRun] = []
    with SiteProcess(max(sizes), args.corpus) as server:
        for size in sizes:
            urls_file = run_dir / f"urls-{size}.txt"
            write_urls(site, server.base_url, size, urls_file)
            print(f"crawl of {size} pages ...", flush=True)
            runs.append(run_crawl(server, urls_file, size, run_dir, settings))
            print(f"  {runs[-1].pages_per_second:.1f} pages/s, peak RSS {_mb(runs[-1].peak_rss)}, "
                  f"PSS {_mb(runs[-1].peak_pss)}", flush=True)
    print()
    for run in runs:
        print_crawl_details(run)
    first, last = runs[0], runs[-1]
    print(f"peak memory from {first.pages} to {last.pages} pages: "
          f"RSS {_mb(first.peak_rss)} -> {_mb(last.peak_rss)} ({last.peak_rss / first.peak_rss - 1:+.0%}), "
          f"PSS {_mb(first.peak_pss)} -> {_mb(last.peak_pss)} ({last.peak_pss / first.peak_pss - 1:+.0%}); "
          "target: under 400 MB, growth under 20%")
    if not args.keep:
        shutil.rmtree(run_dir / "crawl", ignore_errors=True)
    results = {"memory": [{**asdict(run), "pages_per_second": run.pages_per_second} for run in runs],
               "settings": settings, "machine": machine_note()}
    (run_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000, help="distinct pages on the site (default 1000)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes for (b) and (c) (default: one per core, as the crawl)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="measure (c), (a), (b) this many times, interleaved, and report the median of each "
                             "(default 3: a shared machine's speed drifts by 10%% from minute to minute)")
    parser.add_argument("--skip-diy", action="store_true", help="leave out (b), wget + trafilatura")
    parser.add_argument("--skip-pool", action="store_true", help="leave out (c), extraction alone")
    parser.add_argument("--skip-crawl", action="store_true", help="leave out (a), the crawl")
    parser.add_argument("--memory", metavar="N,M,...",
                        help="instead: crawl at each size and compare peak memory (e.g. 1000,5000)")
    parser.add_argument("-s", "--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="extra Scrapy setting for the crawl (repeatable), e.g. -s ARCHIVE_GZIP_LEVEL=1")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder with html/<id>.html.gz")
    parser.add_argument("--keep", action="store_true", help="keep the WARCs and texts written under .bench/")
    args = parser.parse_args(argv)
    settings = parse_settings(args.settings)
    if args.memory:
        bench_memory(args, settings)
    else:
        bench_comparison(args, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
