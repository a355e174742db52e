"""The crawl against a hostile web: does every response whose head arrived reach the WARC?

Serves :mod:`tests.support.hostile` (odd, malformed and abusive responses) on 127.0.0.1, crawls
``--links`` URLs drawn from its kinds (bombs, huge pages and stalls drawn rarely, so the
run stays bounded), and prints:

- the share of responses whose head went out whole that reached the WARC (target 100%),
  and the kinds that fell short;
- ERROR lines and tracebacks in the crawl's log (target: no traceback);
- the peak memory of the crawl's process tree (target under 600 MB);
- whether the crawl finished (exit code, finish reason, manifest);
- ``scrapy verify`` on the crawl, and FastWARC, a second reader, on every WARC and WET file.

    python -m benchmarks.hostile [--links 10000] [--bomb-mb 1024] [-s NAME=VALUE ...]

It writes its figures to ``.bench/hostile-<N>/results.json`` and asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.bench import ROOT, WORK_DIR, ProcessTreeMonitor, crawl_environment
from sample_site.command import crawl_command, scrapy_command, scrapy_script
from tests.support.hostile import KINDS, HostileServer

__all__ = ["HostileRun", "draw_links", "main", "run_hostile"]

#: Kinds drawn rarely: each costs seconds or hundreds of MB by design.
RARE = {"gzip-bomb": 5, "deflate-bomb": 5, "sitemap-bomb": 5, "huge-page": 3, "cookie-bomb": 5, "big-cookie": 5}
#: Kinds that hold a connection silent for the server's stall time.
SLOW = {"stall-body": 30, "stall-at-once": 30}

#: Settings of the crawl: politeness delays off on loopback, bounded waits.
HOSTILE_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "DOWNLOAD_TIMEOUT": "5",
    "RETRY_TIMES": "1",
    "ARCHIVE_PROGRESS_INTERVAL": "0",
    "LOG_LEVEL": "INFO",
}


def draw_links(base_url: str, links: int, seed: int = 16) -> list[str]:
    """``links`` distinct URLs of the server's kinds; rare and slow kinds a fixed few times."""
    fixed = {**RARE, **SLOW}
    scale = links / 10_000
    drawn = [name for name, count in fixed.items() for _ in range(max(1, round(count * scale)))]
    common = [name for name in KINDS if name not in fixed]
    rng = random.Random(seed)
    drawn += rng.choices(common, k=max(0, links - len(drawn)))
    rng.shuffle(drawn)
    return [f"{base_url}/h/{name}?n={i}" for i, name in enumerate(drawn)]


@dataclass
class HostileRun:
    links: int
    returncode: int
    finish_reason: str | None
    wall_seconds: float
    heads_sent: int  # responses whose head went out whole
    heads_archived: int  # of those, the ones with a response record
    short_by_kind: dict[str, int]  # kind -> responses with a head that are not in the WARC
    error_lines: int
    tracebacks: int
    peak_rss: int  # bytes, whole process tree
    peak_rss_by_role: dict[str, int]
    verify_ok: bool
    verify_summary: str
    second_reader_records: int
    second_reader_faults: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)  # archive/* stats of the manifest

    @property
    def archived_share(self) -> float:
        return self.heads_archived / self.heads_sent if self.heads_sent else 1.0


def archived_paths(crawl_dir: Path) -> Counter[str]:
    """Response and revisit records per path and query of their WARC-Target-URI, read with
    FastWARC (the server answers redirects to its other names, 2130706433 or 127.0.0.2, too).
    An exchange whose payload repeats an earlier capture's (a retried 503 that answers the
    same) is archived as a revisit record: its head reached the WARC too."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    uris: Counter[str] = Counter()
    for path in sorted((crawl_dir / "warc").glob("*.warc.gz")):
        with path.open("rb") as f:
            kinds = WarcRecordType.response | WarcRecordType.revisit
            for record in ArchiveIterator(f, record_types=kinds, parse_http=False):
                target = urlsplit(record.headers.get("WARC-Target-URI") or "")
                uris[target.path + (f"?{target.query}" if target.query else "")] += 1
    return uris


def second_reader(crawl_dir: Path) -> tuple[int, list[str]]:
    """Every WARC and WET file read by FastWARC (block digests checked), every text file
    by gzip and json: records read, and what failed."""
    from fastwarc.warc import ArchiveIterator

    records, faults = 0, []
    for path in sorted([*crawl_dir.glob("warc/*.warc.gz"), *crawl_dir.glob("wet/*.warc.wet.gz")]):
        try:
            with path.open("rb") as f:
                for record in ArchiveIterator(f, parse_http=False):
                    records += 1
                    if record.headers.get("WARC-Block-Digest") and not record.verify_block_digest():
                        faults.append(f"{path.name}: block digest of {record.record_id}")
        except Exception as error:  # a reader that stops is the figure
            faults.append(f"{path.name}: {error!r}")
    for path in sorted(crawl_dir.glob("text/*.jsonl.gz")):
        try:
            with gzip.open(path, "rt", encoding="utf-8") as f:
                records += sum(1 for line in f if json.loads(line))
        except Exception as error:
            faults.append(f"{path.name}: {error!r}")
    return records, faults


def run_hostile(links: int, run_dir: Path, settings: dict[str, str], bomb_size: int) -> HostileRun:
    """Serve the hostile kinds, crawl ``links`` of them, and measure the crawl."""
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    archive_dir = run_dir / "crawl"
    server = HostileServer(bomb_size=bomb_size)
    base = server.start()
    try:
        urls_file = run_dir / "urls.txt"
        urls_file.write_text("".join(url + "\n" for url in draw_links(base, links)))
        all_settings = {**HOSTILE_SETTINGS, "ARCHIVE_URI": str(archive_dir), "ARCHIVE_CRAWL_ID": "hostile",
                        **settings}
        command = crawl_command({"urls_file": str(urls_file), "requisites": "1"}, all_settings,
                                launcher=scrapy_script())
        log_path = run_dir / "crawl.log"
        with log_path.open("w") as log:
            started = time.perf_counter()
            process = subprocess.Popen(command, cwd=ROOT, env=crawl_environment(), stdout=log,
                                       stderr=subprocess.STDOUT)
            monitor = ProcessTreeMonitor(process.pid)
            monitor.start()
            try:
                returncode = process.wait(timeout=max(600, links / 5))
            except subprocess.TimeoutExpired:
                process.kill()
                returncode = process.wait()
            wall = time.perf_counter() - started
            figures = monitor.stop()
    finally:
        server.stop()
    crawl_dir = archive_dir / "hostile"
    manifest_path = crawl_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    archived = archived_paths(crawl_dir) if crawl_dir.exists() else Counter()
    sent: Counter[str] = Counter()
    kind_of: dict[str, str] = {}
    for response in server.log:
        if response.head:
            sent[response.path] += 1
            kind_of[response.path] = response.kind
    short: Counter[str] = Counter()
    heads_archived = 0
    for path, count in sent.items():
        kept = min(count, archived[path])
        heads_archived += kept
        if kept < count:
            short[kind_of[path]] += count - kept
    log_text = log_path.read_text(errors="replace")
    verify = subprocess.run(scrapy_command("verify", str(crawl_dir), launcher=scrapy_script()), cwd=ROOT,
                            env=crawl_environment(), capture_output=True, text=True)
    records, faults = second_reader(crawl_dir) if crawl_dir.exists() else (0, ["no crawl folder"])
    stats = manifest.get("stats", {})
    return HostileRun(
        links=links,
        returncode=returncode,
        finish_reason=manifest.get("finish_reason"),
        wall_seconds=wall,
        heads_sent=sum(sent.values()),
        heads_archived=heads_archived,
        short_by_kind=dict(short.most_common()),
        error_lines=sum(1 for line in log_text.splitlines() if "] ERROR:" in line),
        tracebacks=log_text.count("Traceback (most recent call last)"),
        peak_rss=figures.peak_rss,
        peak_rss_by_role=figures.peak_rss_by_role,
        verify_ok=verify.returncode == 0,
        verify_summary=(verify.stdout + verify.stderr).strip().rsplit("\n", 1)[-1],
        second_reader_records=records,
        second_reader_faults=faults[:20],
        stats={k: v for k, v in stats.items() if k.startswith(("archive/", "robotstxt/")) and isinstance(v, int)},
    )


def report(run: HostileRun) -> str:
    mb = 1 << 20
    lines = [
        f"Hostile crawl of {run.links} links: exit {run.returncode}, finish reason {run.finish_reason}, "
        f"{run.wall_seconds:.0f} s",
        f"  responses whose head arrived that reached the WARC: {run.heads_archived} of {run.heads_sent} "
        f"({100 * run.archived_share:.2f}%)",
    ]
    if run.short_by_kind:
        lines.append("  not archived, by kind: " + ", ".join(f"{k} {n}" for k, n in run.short_by_kind.items()))
    lines += [
        f"  ERROR lines: {run.error_lines}; tracebacks: {run.tracebacks}",
        f"  peak memory of the process tree: {run.peak_rss / mb:.0f} MB ("
        + ", ".join(f"{role} {size / mb:.0f} MB" for role, size in sorted(run.peak_rss_by_role.items())) + ")",
        f"  scrapy verify: {'OK' if run.verify_ok else 'FAILED'} ({run.verify_summary})",
        f"  second reader (FastWARC, gzip+json): {run.second_reader_records} records, "
        f"{len(run.second_reader_faults)} faults" + "".join(f"\n    {fault}" for fault in run.second_reader_faults),
        "  stats: " + ", ".join(f"{k}={v}" for k, v in sorted(run.stats.items())),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--bomb-mb", type=int, default=1024, help="MB each decompression bomb inflates to")
    parser.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    settings = dict(item.split("=", 1) for item in args.settings)
    run_dir = WORK_DIR / f"hostile-{args.links}"
    run = run_hostile(args.links, run_dir, settings, args.bomb_mb << 20)
    (run_dir / "results.json").write_text(json.dumps({**asdict(run), "archived_share": run.archived_share},
                                                     indent=2))
    print(report(run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
