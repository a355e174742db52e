"""Where the crawl's CPU goes, per page: py-spy over the whole process tree, sorted by component.

Runs the benchmark crawl (:mod:`benchmarks.bench`, same site and settings) under
``py-spy record --subprocesses --nonblocking --format raw`` and files every sample
under one component: fetching, WARC gzip, digests and writes, text rows, indexing and
the other derivers, pool IPC, extraction (with its own breakdown), Scrapy's machinery.
A sample is one thread seen on CPU, so samples / rate is CPU seconds.

    pip install py-spy                       # into the venv; make bench-profile does it
    python -m benchmarks.profile [--pages 1000] [--rate 100] [-s NAME=VALUE ...]
    python -m benchmarks.profile --raw .bench/profile/crawl.folded --pages 1000   # re-read a profile

The folded stacks stay in ``.bench/profile/crawl.folded`` (flamegraph.pl, speedscope).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.bench import (
    ROOT,
    WORK_DIR,
    ProcessTreeMonitor,
    SiteProcess,
    crawl_command,
    crawl_environment,
    parse_settings,
    write_urls,
)
from benchmarks.site import DEFAULT_CORPUS, BenchSite
from scraper.settings import ARCHIVE_GZIP_LEVEL, ARCHIVE_MIN_TEXT_CHARS

__all__ = ["Profile", "classify", "main", "read_folded"]

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]*?)(?::(?P<line>\d+))?\)$")

#: Innermost frame wins: (component, file pattern, function pattern or None). Frames of
#: files named nowhere (zlib callers in the stdlib, warcio, lxml, threading) are skipped,
#: so a sample goes to the nearest project or framework code that asked for the work.
CRAWL_RULES: list[tuple[str, str, str | None]] = [
    ("WARC: gzip of records", "scraper/archive/warc.py", r"gzip_member"),
    ("WARC: digests and record framing", "scraper/archive/warc.py", None),
    ("WARC: writes and file sha256", "scraper/archive/segments.py", r"SegmentFile\.(append|close)"),
    ("text rows: JSON, gzip, write", "scraper/archive/(segments|textrows).py", r"text_row_bytes|write_text_row"),
    ("WARC: writes and file sha256", "scraper/archive/segments.py", r"write_exchange"),
    ("derivers: CDXJ index", "scraper/archive/cdxj.py", None),
    ("WET records", "scraper/archive/wet.py", None),
    ("derivers: WACZ", "scraper/archive/wacz.py", None),
    ("archive: other (segments, manifest)",
     "scraper/archive/segments.py|scraper/extensions.py|scraper/storage/", None),
    ("pool IPC: pickling pages, sockets, results",
     "scraper/workers/pool.py|multiprocessing/|concurrent/futures/process.py|twisted/protocols/basic.py", None),
    ("decoding HTML (response.text)", "scrapy/http/response/text.py|w3lib/encoding.py", None),
    ("WARC capture middleware (joining wire bytes)", "scraper/middlewares.py", r"WarcCaptureMiddleware"),
    ("fetching: sockets, HTTP parsing, download handler",
     "scraper/downloadhandlers.py|twisted/web/|twisted/internet/tcp.py|twisted/internet/abstract.py|"
     "scrapy/core/downloader/|scrapy/core/http2/", None),
    ("Scrapy: engine, scheduler, middlewares, spider, pipelines",
     "scrapy/|spiders/|scraper/pipelines.py|scraper/middlewares.py|scraper/items.py", None),
    ("reactor and asyncio loop", "twisted/|asyncio/", None),
]

#: Leaf functions that mean a thread waiting, not working (nonblocking sampling sees some).
IDLE_LEAVES = re.compile(r"\.select \(selectors\.py|^(Condition\.)?wait \(threading\.py|^_wait \(|"
                         r"^Event\.wait|^Queue\.get \(queue\.py|^poll \(|^sleep ")
#: A pool worker blocked on its pipes: reading the next page (waiting for work) or
#: writing a result the crawl has not read yet. Sampled without the GIL, it looks busy.
WORKER_PIPE_WAIT = re.compile(r"(Queue\.get|SimpleQueue\.put) \(multiprocessing/queues\.py.*;"
                              r"Connection\._(recv|send) \(multiprocessing/connection\.py:\d+\)$|"
                              r"worker_main \(scraper/workers/protocol\.py:\d+\)"
                              r"(;_receive_into \(scraper/workers/protocol\.py:\d+\))?$")


@dataclass
class Profile:
    """Samples by component, and inside extraction by function and by library."""

    rate: int
    components: Counter[str] = field(default_factory=Counter)
    extraction_steps: Counter[str] = field(default_factory=Counter)
    extraction_libraries: Counter[str] = field(default_factory=Counter)
    idle: int = 0

    @property
    def busy(self) -> int:
        return sum(self.components.values())


def read_folded(path: Path) -> list[tuple[list[str], int]]:
    """py-spy's raw output: ``frame;frame;... count`` a line, root first."""
    stacks = []
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if stack:
                stacks.append((stack.split(";"), int(count)))
    return stacks


def _parse(frame: str) -> tuple[str, str]:
    match = _FRAME.match(frame)
    return (match["function"], match["file"]) if match else (frame, "")


def _process_role(processes: list[str]) -> str:
    """Which process of the crawl's tree a sample came from, by its place in the tree: the
    crawl, its fork server (py-spy's folded names stop at the first ';' of a command
    line, so the server's ``-c`` code is cut short), the workers the server forked."""
    if len(processes) == 1:
        return "crawl"
    if len(processes) == 2:
        return "pool: forkserver" if "python" in processes[-1] and " -c " in processes[-1] else "other process"
    return "worker" if len(processes) == 3 else "other process"


def _library(file: str) -> str:
    """The package or module of a frame's file: ``trafilatura/core.py`` -> ``trafilatura``.

    py-spy prints paths relative to ``sys.path``, so the standard library's modules
    (``copy``, ``re``, ``collections``) look like packages too.
    """
    return file.split("/", 1)[0].removesuffix(".py")


def classify(frames: list[str]) -> tuple[str, str | None, str | None]:
    """The component of one sample; for extraction also its step and its library."""
    processes = [frame for frame in frames if frame.startswith("process ")]
    calls = [_parse(frame) for frame in frames if not frame.startswith("process ") and
             not frame.startswith("thread ")]
    role = _process_role(processes) if processes else "crawl"
    if any(function == "_find_and_load" for function, _ in calls):
        return ("start-up: imports (crawl)" if role == "crawl" else "start-up: imports (extraction pool)"), None, None
    if role != "worker" and role != "crawl":
        return f"start-up: {role}" if role == "pool: forkserver" else role, None, None
    if role == "worker":
        functions = {function for function, _ in calls}
        if "extract_page" not in functions and "extract_article" not in functions:
            if "warm_up" in functions:  # the pool's initializer: the language model, once per worker
                return "start-up: extractor warm-up in each worker", None, None
            return "pool IPC in workers: unpickling pages, pickling articles", None, None
        if "extract_article" not in functions:  # extract_page: the parse, discovery, the result dict
            if any(file == "scraper/extract/discovery.py" for _, file in calls):
                return "discovery in workers: requisites and links", None, None
            if "parse_page" in functions:
                return "extraction (workers)", "parse_page", _library(calls[-1][1]) if calls else "?"
            return "pool IPC in workers: unpickling pages, pickling articles", None, None
        step = next((function for function, file in reversed(calls) if file.startswith("scraper/")), "?")
        library = _library(calls[-1][1]) if calls else "?"
        return "extraction (workers)", step, library
    for function, file in reversed(calls):
        for component, file_pattern, function_pattern in CRAWL_RULES:
            if re.search(file_pattern, file) and (function_pattern is None or re.search(function_pattern, function)):
                return component, None, None
    return "other (crawl process)", None, None


def summarise(stacks: list[tuple[list[str], int]], rate: int) -> Profile:
    profile = Profile(rate)
    for frames, count in stacks:
        leaf = next((frame for frame in reversed(frames) if not frame.startswith(("process ", "thread "))), "")
        if IDLE_LEAVES.search(leaf) or WORKER_PIPE_WAIT.search(";".join(frames)):
            profile.idle += count
            continue
        component, step, library = classify(frames)
        profile.components[component] += count
        if step is not None:
            profile.extraction_steps[step] += count
        if library is not None:
            profile.extraction_libraries[library] += count
    return profile


def print_profile(profile: Profile, pages: int, wall_seconds: float | None = None,
                  measured_cpu_seconds: float | None = None) -> None:
    """CPU per page of each component, biggest first.

    py-spy counts a thread that is runnable but waiting for a core as busy, so on a
    machine shared with other work the samples overstate CPU; when the crawl's CPU was
    measured (/proc), each component's share is applied to that measured total instead.
    """
    rate = profile.rate
    total = profile.busy
    sampled_seconds = total / rate
    scale = measured_cpu_seconds / sampled_seconds if measured_cpu_seconds else 1.0

    def line(name: str, samples: int, indent: str = "") -> str:
        seconds = samples / rate * scale
        return (f"{indent}{name:<{60 - len(indent)}} {samples / total:6.1%}  {seconds:7.2f} s  "
                f"{seconds / pages * 1000:7.2f} ms/page")

    header = f"CPU by component over {pages} pages: {total} samples at {rate} Hz ({sampled_seconds:.1f} s"
    if wall_seconds is not None:
        header += f" over {wall_seconds:.1f} s wall"
    header += f"; {profile.idle} idle samples left out)"
    if measured_cpu_seconds:
        header += f"; seconds scaled to the {measured_cpu_seconds:.1f} CPU s measured in /proc"
    print(header + ":")
    for name, samples in profile.components.most_common():
        print(line(name, samples, "  "))
    extraction = profile.components.get("extraction (workers)", 0)
    if extraction:
        print("extraction by step (innermost scraper/ function):")
        for name, samples in profile.extraction_steps.most_common(12):
            print(line(name, samples, "  "))
        print("extraction by library (the package of the innermost frame):")
        for name, samples in profile.extraction_libraries.most_common(12):
            print(line(name, samples, "  "))


def _http_exchange(site: BenchSite, number: int, base_url: str) -> tuple[str, bytes, bytes]:
    """The URL, response bytes and request bytes of one page, as the crawl records them."""
    body = site.page(number)
    url = base_url + site.path(number)
    response = (b"HTTP/1.1 200 OK\r\nServer: bench-site\r\nDate: Sat, 21 Nov 2026 10:00:00 GMT\r\n"
                b"Content-Type: text/html; charset=utf-8\r\nContent-Length: " + str(len(body)).encode() +
                b"\r\n\r\n" + body)
    request = (f"GET {site.path(number)} HTTP/1.1\r\nAccept: text/html,application/xhtml+xml,application/xml;"
               "q=0.9,*/*;q=0.8\r\nAccept-Language: en\r\nUser-Agent: news-archiver/0.1.0 "
               "(+https://example.org/news-archiver; archive@example.org)\r\nAccept-Encoding: gzip, deflate, br"
               "\r\nHost: 127.0.0.1:8000\r\n\r\n").encode()
    return url, response, request


def component_costs(site: BenchSite, pages: int, passes: int = 2) -> list[tuple[str, float, str]]:
    """CPU ms a page of each step the crawl takes besides fetching, timed one by one in this process.

    Each step runs over the same pages ``passes`` times and keeps its fastest pass, so a
    busy machine inflates these less than whole-crawl figures. Returns (step, ms, note).
    """
    import hashlib
    import pickle
    import tempfile

    from scrapy.http import HtmlResponse

    from scraper.archive import warc
    from scraper.archive.segments import SegmentFile
    from scraper.archive.textrows import text_row_bytes
    from scraper.extract.extractor import extract_article
    from scraper.extract.model import ExtractionOptions

    base_url = "http://127.0.0.1:8000"
    exchanges = [_http_exchange(site, number, base_url) for number in range(pages)]
    bodies = [site.page(number) for number in range(pages)]
    htmls = [body.decode("utf-8") for body in bodies]
    options = ExtractionOptions(min_text_chars=ARCHIVE_MIN_TEXT_CHARS)
    date = "2026-11-21T10:00:00.000000Z"
    timings: list[tuple[str, float, str]] = []

    def timed(name: str, step: Any, note: str = "") -> None:
        best = min(_cpu_of(step) for _ in range(passes))
        timings.append((name, best / pages * 1000, note))

    def _cpu_of(step: Any) -> float:
        started = time.process_time()
        step()
        return time.process_time() - started

    articles = [extract_article(html, url, options) for html, (url, _, _) in zip(htmls, exchanges, strict=True)]
    timed("extraction: extract_article (one process)",
          lambda: [extract_article(html, url, options) for html, (url, _, _) in zip(htmls, exchanges, strict=True)],
          f"{sum(a is not None for a in articles)} of {pages} pages are articles")
    timed("decoding HTML: Scrapy's response.text",
          lambda: [HtmlResponse(url, body=body, headers={"Content-Type": "text/html; charset=utf-8"}).text
                   for body, (url, _, _) in zip(bodies, exchanges, strict=True)])
    timed("pool IPC: pickle the page, unpickle it (both sides)",
          lambda: [pickle.loads(pickle.dumps((extract_article, (html, url, options), {}), protocol=5))
                   for html, (url, _, _) in zip(htmls, exchanges, strict=True)])
    records = [warc.response_record(url, response, date=date, ip_address="127.0.0.1", warcinfo_id="<urn:x>")
               .to_bytes() + warc.request_record(url, request, date=date, concurrent_to="<urn:y>",
                                                 warcinfo_id="<urn:x>").to_bytes()
               for url, response, request in exchanges]
    timed("WARC: records framed, payload and block digests",
          lambda: [(warc.response_record(url, response, date=date, ip_address="127.0.0.1", warcinfo_id="<urn:x>")
                    .to_bytes(),
                    warc.request_record(url, request, date=date, concurrent_to="<urn:y>", warcinfo_id="<urn:x>")
                    .to_bytes())
                   for url, response, request in exchanges])
    raw = sum(len(record) for record in records)
    for level in warc.GZIP_LEVELS:
        size = sum(len(warc.gzip_member(record, level)) for record in records)
        timed(f"WARC: gzip at level {level}", lambda level=level: [warc.gzip_member(r, level) for r in records],
              f"{size / raw:.1%} of the records' size, {size / pages / 1000:.0f} kB a page")
    members = [warc.gzip_member(record, ARCHIVE_GZIP_LEVEL) for record in records]
    with tempfile.TemporaryDirectory() as folder:
        segments = iter(range(passes))

        def write_members() -> None:
            segment = SegmentFile(Path(folder) / f"segment-{next(segments)}.warc.gz")
            for member in members:
                segment.append(member)
            segment._file.close()

        timed("WARC: write to the segment file, its sha256", write_members)
    rows = [{"url": url, "title": a.title, "text": a.text, "authors": a.authors, "published": a.published,
             "language": a.language, "site_name": a.site_name, "description": a.description,
             "canonical_url": a.canonical_url, "fetched_at": date, "warc_filename": "x.warc.gz",
             "warc_record_id": "<urn:uuid:x>", "warc_offset": 0, "payload_digest": "sha1:x", "extractor": "x"}
            for a, (url, _, _) in zip(articles, exchanges, strict=True) if a is not None]
    timed("text rows: JSON + gzip member", lambda: [text_row_bytes(row, ARCHIVE_GZIP_LEVEL) for row in rows])
    timed("(for scale) sha1 of the response", lambda: [hashlib.sha1(response).digest()
                                                       for _, response, _ in exchanges])
    return timings


def print_component_costs(timings: list[tuple[str, float, str]]) -> None:
    print("CPU a page of each step, timed alone in one process (fastest of the passes):")
    for name, ms, note in timings:
        print(f"  {name:<52} {ms:7.2f} ms/page  {note}")


def _child_of(pid: int, timeout: float = 30.0) -> int:
    """The first child process of ``pid`` (the crawl py-spy started), waiting for it to appear."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        if children:
            return int(children[0])
        time.sleep(0.01)
    raise RuntimeError(f"py-spy (pid {pid}) started no crawl within {timeout} s")


def record(args: argparse.Namespace, settings: dict[str, str], out_dir: Path) -> tuple[Path, float, float]:
    """Run the benchmark crawl under py-spy; return the folded stacks, the wall time and the crawl's CPU."""
    py_spy = shutil.which("py-spy", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if py_spy is None:
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy (make bench-profile does it)")
    folded = out_dir / "crawl.folded"
    site = BenchSite.from_corpus(args.corpus, args.pages)
    with SiteProcess(args.pages, args.corpus) as server:
        urls_file = out_dir / "urls.txt"
        write_urls(site, server.base_url, args.pages, urls_file)
        command = [py_spy, "record", "--subprocesses", "--nonblocking", "--rate", str(args.rate),
                   "--format", "raw", "--output", str(folded), "--",
                   *crawl_command(urls_file, out_dir / "crawl", settings)]
        env = crawl_environment()
        started = time.perf_counter()
        with (out_dir / "crawl.log").open("w") as log:
            py_spy_process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            monitor = ProcessTreeMonitor(_child_of(py_spy_process.pid))
            monitor.start()
            returncode = py_spy_process.wait()
        wall = time.perf_counter() - started
        cpu = sum(monitor.stop().cpu_by_role.values())
    if returncode != 0:
        raise RuntimeError(f"py-spy or the crawl failed ({returncode}); see {out_dir / 'crawl.log'}")
    return folded, wall, cpu


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000, help="distinct pages on the site (default 1000)")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second (default 100)")
    parser.add_argument("-s", "--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="extra Scrapy setting for the crawl (repeatable)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder with html/<id>.html.gz")
    parser.add_argument("--raw", type=Path, help="summarise this py-spy raw file instead of recording")
    parser.add_argument("--components", action="store_true",
                        help="instead: time each step of the crawl alone, in this process, over --pages pages "
                             "(121: each source page once)")
    args = parser.parse_args(argv)
    if args.components:
        print_component_costs(component_costs(BenchSite.from_corpus(args.corpus, args.pages), args.pages))
        return 0
    wall: float | None = None
    cpu: float | None = None
    if args.raw is not None:
        folded = args.raw
        measured = folded.with_suffix(".json")  # written beside the stacks by a recording run
        if measured.exists():
            figures = json.loads(measured.read_text())
            wall, cpu = figures["wall_seconds"], figures["cpu_seconds"]
    else:
        out_dir = WORK_DIR / "profile"
        shutil.rmtree(out_dir, ignore_errors=True)
        out_dir.mkdir(parents=True)
        print(f"profiling a crawl of {args.pages} pages under py-spy at {args.rate} Hz ...", flush=True)
        folded, wall, cpu = record(args, parse_settings(args.settings), out_dir)
        folded.with_suffix(".json").write_text(json.dumps(
            {"pages": args.pages, "rate": args.rate, "wall_seconds": wall, "cpu_seconds": cpu}) + "\n")
        shutil.rmtree(out_dir / "crawl", ignore_errors=True)
    print_profile(summarise(read_folded(folded), args.rate), args.pages, wall, cpu)
    return 0


if __name__ == "__main__":
    sys.exit(main())
