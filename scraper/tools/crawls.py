"""Every crawl of an archive and how it went, for operators and monitoring.

Reads what crawls leave behind: ``manifest.json`` where a crawl has one; otherwise its
files (``.open`` ones included), for an S3 archive the spool's upload state, and for a crawl
shared on a Redis frontier (``ARCHIVE_FRONTIER``) what Redis holds of its workers and
queue, read without changing it. Knows nothing of Scrapy: ``scrapy crawls`` and
``news-archiver crawls`` print what it finds, and the metrics extension judges a finished
crawl with :func:`crawl_problems`.

A crawl's state, and whether it counts as failed (the README's "Checking crawls" says the same):

==================== ======= ===============================================================
state                failed  when
==================== ======= ===============================================================
complete             no      a manifest, ``finish_reason`` "finished", no failure stat above 0
running              no      no manifest, and a live process of this machine holds a file of it
                             (an open segment, its lock), or (``ARCHIVE_FRONTIER``) a worker of
                             it is running in Redis with a live heartbeat
resumable            yes     no manifest, no live process, its local files (crawl or spool
                             folder) still there: stopped or killed; the same command with the
                             same crawl id resumes it. A crawl whose frontier Redis holds, no
                             worker of it alive, is resumable wherever its files are
waiting for upload   yes     an S3 crawl that ended, its manifest still in the spool:
                             ``scrapy upload`` (or the next crawl) publishes it
incomplete           yes     no manifest, no live process, nothing local to go on from (an S3
                             prefix without manifest whose spool folder is gone)
failed               yes     a manifest whose ``finish_reason`` is not "finished" (closed early
                             by a limit, cancelled) or whose failure stats are above 0
==================== ======= ===============================================================
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import re
import sys
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import redis

from scraper.archive.manifest import MANIFEST_NAME
from scraper.files import OPEN_SUFFIX
from scraper.frontier.redis import CrawlSnapshot, crawl_snapshot, reader_client
from scraper.storage.base import FAILURE_STATS
from scraper.storage.s3 import LOCK_NAME, STATE_NAME, S3Destination

__all__ = [
    "FAILED_STATES",
    "CrawlStatus",
    "MappingSettings",
    "crawl_problems",
    "format_table",
    "latest",
    "list_crawls",
    "list_local_crawls",
    "list_s3_crawls",
    "live_holders",
    "main",
    "read_frontier",
]

logger = logging.getLogger(__name__)

COMPLETE = "complete"
RUNNING = "running"
RESUMABLE = "resumable"
WAITING = "waiting for upload"
INCOMPLETE = "incomplete"
FAILED = "failed"
#: States in which a crawl counts as failed: ``scrapy crawls`` exits 1 when the latest is one.
FAILED_STATES = frozenset({RESUMABLE, WAITING, INCOMPLETE, FAILED})
#: The finish reason of a crawl that ran to its end (Scrapy's ``finish_reason`` stat).
FINISHED = "finished"
#: Seconds to connect to the frontier's Redis, and for each reply: a listing says at once
#: that it does not answer, where a crawl's worker waits for it.
FRONTIER_TIMEOUT = 3.0

WARC_SUFFIXES = (".warc.gz", ".warc.gz" + OPEN_SUFFIX)
TEXT_SUFFIXES = (".jsonl.gz", ".jsonl.gz" + OPEN_SUFFIX)
#: ``<crawl_id>-<YYYYmmddHHMMSS>-<serial>.warc.gz``: the segment's opening time, UTC.
_SEGMENT_TIME = re.compile(r"-(\d{14})-\d+\.warc\.gz(?:\.open)?$")


def crawl_problems(finish_reason: str | None, stats: Mapping[str, Any]) -> list[str]:
    """Why a crawl that ended is not a success; empty when it is.

    A success ends with ``finish_reason`` "finished", every stat of
    :data:`scraper.storage.base.FAILURE_STATS` at 0 (files the storage could not store)
    and ``archive/derive/errors`` at 0 (derived files, a WACZ, that could not be made).
    """
    problems = []
    if finish_reason != FINISHED:
        problems.append(f"finish_reason {finish_reason!r}, not {FINISHED!r}")
    problems += [
        f"{name}={stats[name]}" for name in (*FAILURE_STATS, "archive/derive/errors")
        if isinstance(stats.get(name), int) and stats[name] > 0
    ]
    return problems


@dataclass
class CrawlStatus:
    """One crawl of an archive as found on disk or in the bucket.

    Times are UTC. ``end_time`` is the manifest's; for a crawl without one, ``last_write``
    is when one of its files last changed. ``pages`` counts response records, ``articles``
    text rows, ``bytes`` and ``files`` what the crawl holds (the manifest's list, else
    every file found, ``.open`` ones and spooled ones included). None: not known.
    """

    crawl_id: str
    state: str
    location: str
    start_time: datetime | None = None
    end_time: datetime | None = None
    last_write: datetime | None = None
    finish_reason: str | None = None
    pages: int | None = None
    articles: int | None = None
    bytes: int = 0
    files: int = 0
    pid: int | None = None
    problems: list[str] = field(default_factory=list)
    #: A crawl shared by many processes (``ARCHIVE_FRONTIER``): one entry a worker, with its
    #: ``worker`` id, ``state`` (``done``, ``dead``, ``stopped``, ``running``), ``pages``
    #: and ``articles`` (None: not known, as for a worker that died before reporting).
    workers: list[dict[str, Any]] = field(default_factory=list)
    #: A crawl without manifest on the frontier (``ARCHIVE_FRONTIER``): requests ``queued``
    #: and ``leased``, and ``running_workers`` (running, heartbeat alive). None: not asked,
    #: or Redis knows no worker of it.
    frontier: dict[str, int] | None = None

    @property
    def failed(self) -> bool:
        return self.state in FAILED_STATES

    def sort_key(self) -> tuple[datetime, str]:
        moment = self.start_time or self.last_write or datetime.min.replace(tzinfo=timezone.utc)
        return moment, self.crawl_id

    def to_json(self) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "crawl_id": self.crawl_id,
            "state": self.state,
            "failed": self.failed,
            "location": self.location,
            "start_time": iso(self.start_time),
            "end_time": iso(self.end_time),
            "last_write": iso(self.last_write),
            "finish_reason": self.finish_reason,
            "pages": self.pages,
            "articles": self.articles,
            "bytes": self.bytes,
            "files": self.files,
            "pid": self.pid,
            "problems": self.problems,
            "workers": self.workers,
            "frontier": self.frontier,
        }


# -- live processes ------------------------------------------------------------------------


def live_holders(proc: Path = Path("/proc")) -> dict[Path, int]:
    """Every file held open by a process of this machine that we may look at: path -> pid.

    Linux's ``/proc/<pid>/fd``; other processes' tables need the same user or root. A
    crawl holds its open segments, and an S3 crawl its spool lock, for as long as it runs.
    """
    held: dict[Path, int] = {}
    if not proc.is_dir():
        return held
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            descriptors = list((entry / "fd").iterdir())
        except OSError:  # gone, or another user's
            continue
        for descriptor in descriptors:
            try:
                target = os.readlink(descriptor)
            except OSError:
                continue
            if target.startswith("/"):
                held[Path(target)] = int(entry.name)
    return held


def _holder(folder: Path, held: Mapping[Path, int], lock: Path | None = None) -> int | None:
    """The process holding a file of ``folder`` open, or its ``lock`` file; None if none does."""
    folder = folder.resolve()
    lock = lock.resolve() if lock is not None else None
    for path, pid in held.items():
        if (path == lock or path.is_relative_to(folder)) and pid != os.getpid():
            return pid
    return None


# -- reading a crawl's files -------------------------------------------------------------


def _utc(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def count_responses(path: Path) -> int:
    """Response records of a WARC, up to its end or its first torn record."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    count = 0
    with open(path, "rb") as f:
        try:
            for record in ArchiveIterator(f):
                if record.rec_type == "response":
                    count += 1
        except (ArchiveLoadFailed, OSError, EOFError, ValueError, zlib.error) as error:
            # The .open WARC of a killed crawl may end in a torn record.
            logger.debug("%s: counted up to a record that does not read (%r)", path, error)
    return count


def count_rows(path: Path) -> int:
    """Lines of a gzip text segment, up to its end or its first torn member."""
    count = 0
    try:
        with gzip.open(path, "rb") as f:
            for line in f:
                if line.strip():
                    count += 1
    except (OSError, EOFError, zlib.error) as error:
        logger.debug("%s: counted up to a row that does not read (%r)", path, error)
    return count


def _segment_start(name: str) -> datetime | None:
    match = _SEGMENT_TIME.search(name)
    return datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc) if match else None


def _from_manifest(status: CrawlStatus, manifest: Mapping[str, Any]) -> None:
    stats = manifest.get("stats") or {}
    files = manifest.get("files") or []
    status.start_time = _utc(manifest.get("start_time"))
    status.end_time = _utc(manifest.get("end_time"))
    status.finish_reason = manifest.get("finish_reason")
    status.pages = int(stats.get("archive/warc/responses", 0))
    status.articles = int(stats.get("archive/text/articles", 0))
    status.files = len(files)
    status.bytes = sum(int(entry.get("size", 0)) for entry in files)
    status.problems = crawl_problems(status.finish_reason, stats)
    status.state = FAILED if status.problems else COMPLETE
    for worker, entry in sorted((manifest.get("workers") or {}).items()):
        own = entry.get("stats") or {}
        status.workers.append({
            "worker": worker, "state": entry.get("state"),
            "pages": own.get("archive/warc/responses") if own else None,
            "articles": own.get("archive/text/articles") if own else None,
        })


def _workers_from_files(status: CrawlStatus, folder: Path, held: Mapping[Path, int]) -> None:
    """The workers of a shared crawl without manifest, from their file names
    (``<crawl>-<worker>-<time>-<serial>``) and their locks beside the folder."""
    pattern = re.compile(re.escape(status.crawl_id) + r"-([A-Za-z0-9._]{1,64})-\d{14}-\d+\.")
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*/*")):
        match = pattern.match(path.name)
        if match is None or not path.name.endswith((*WARC_SUFFIXES, *TEXT_SUFFIXES)):
            continue
        entry = found.setdefault(match.group(1), {"worker": match.group(1), "state": "stopped", "pages": 0,
                                                  "articles": 0})
        if path.parent.name == "warc":
            entry["pages"] += count_responses(path)
        elif path.parent.name == "text":
            entry["articles"] += count_rows(path)
    for worker, entry in found.items():
        lock = (folder.parent / f".{status.crawl_id}.{worker}.lock").resolve()
        stem = f"{status.crawl_id}-{worker}-"
        if any(path == lock or (path.is_relative_to(folder.resolve()) and path.name.startswith(stem))
               for path, pid in held.items() if pid != os.getpid()):
            entry["state"] = RUNNING
    status.workers = [found[worker] for worker in sorted(found)]


def _from_files(status: CrawlStatus, folder: Path) -> None:
    """Pages, articles, sizes and times of a crawl without manifest, from what it wrote so far."""
    files = [p for p in folder.rglob("*") if p.is_file() and p.name not in (STATE_NAME, LOCK_NAME)]
    status.files += len(files)
    status.bytes += sum(p.stat().st_size for p in files)
    warcs = sorted(p for p in files if p.parent.name == "warc" and p.name.endswith(WARC_SUFFIXES))
    rows = [p for p in files if p.parent.name == "text" and p.name.endswith(TEXT_SUFFIXES)]
    status.pages = (status.pages or 0) + sum(count_responses(p) for p in warcs)
    status.articles = (status.articles or 0) + sum(count_rows(p) for p in rows)
    starts = [moment for moment in map(_segment_start, (p.name for p in warcs)) if moment]
    if starts:
        status.start_time = min([*starts, *([status.start_time] if status.start_time else [])])
    if files:
        newest = datetime.fromtimestamp(max(p.stat().st_mtime for p in files), timezone.utc)
        status.last_write = max(newest, status.last_write) if status.last_write else newest


def _unfinished(
    status: CrawlStatus, local_folder: Path | None, held: Mapping[Path, int], lock: Path | None = None
) -> None:
    """State of a crawl without a published manifest, from its local folder (if any) and lock."""
    status.pid = _holder(local_folder, held, lock) if local_folder is not None else None
    if status.pid is not None:
        status.state = RUNNING
    elif local_folder is not None:
        status.state = RESUMABLE
        status.problems.append("no manifest and no live process: stopped before its end")
    else:
        status.state = INCOMPLETE
        status.problems.append("no manifest, and nothing left locally to resume from")


def _is_crawl_folder(folder: Path) -> bool:
    return (folder / MANIFEST_NAME).is_file() or (folder / "warc").is_dir() or (folder / "text").is_dir()


def list_local_crawls(root: Path, *, held: Mapping[Path, int] | None = None) -> list[CrawlStatus]:
    """Every crawl folder under ``root``, oldest first. Raises ``FileNotFoundError`` if none is there."""
    if not root.is_dir():
        raise FileNotFoundError(f"no archive folder at {root}")
    held = live_holders() if held is None else held
    crawls = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and _is_crawl_folder(p)):
        status = CrawlStatus(folder.name, INCOMPLETE, str(folder))
        manifest_path = folder / MANIFEST_NAME
        if manifest_path.is_file():
            _from_manifest(status, json.loads(manifest_path.read_text("utf-8")))
        else:
            _from_files(status, folder)
            # A running crawl holds a lock beside its folder (scraper.storage.local), and its open segments.
            _unfinished(status, folder, held, lock=root / f".{folder.name}.lock")
            _workers_from_files(status, folder, held)
        crawls.append(status)
    return sorted(crawls, key=CrawlStatus.sort_key)


# -- S3 ------------------------------------------------------------------------------------


@dataclass
class _SpoolState:
    folder: Path
    manifest: dict[str, Any] | None


def _spooled_crawls(spool_dir: Path | None, destination: S3Destination) -> dict[str, _SpoolState]:
    """Crawls of this bucket and prefix in the spool, read without taking their locks."""
    found: dict[str, _SpoolState] = {}
    if spool_dir is None or not spool_dir.is_dir():
        return found
    for folder in sorted(p for p in spool_dir.iterdir() if p.is_dir()):
        try:
            state = json.loads((folder / STATE_NAME).read_text("utf-8"))
            if S3Destination.from_uri(state["destination"]) != destination:
                continue
            manifest = json.loads(state["manifest"]) if state.get("manifest") else None
            found[state["crawl_id"]] = _SpoolState(folder, manifest)
        except FileNotFoundError:  # not a crawl, or finished meanwhile
            continue
        except (ValueError, KeyError, TypeError) as error:
            logger.warning("%s: unreadable spool state (%r): skipped", folder / STATE_NAME, error)
    return found


def list_s3_crawls(
    client: Any, destination: S3Destination, *, spool_dir: Path | None = None, held: Mapping[Path, int] | None = None
) -> list[CrawlStatus]:
    """Every crawl under ``s3://bucket/prefix`` and in the local spool, oldest first.

    ``client`` is a boto3 S3 client. A crawl whose manifest is in the bucket is read from
    it; otherwise its objects are listed and its spool folder (if here) is read.
    """
    held = live_holders() if held is None else held
    prefix = f"{destination.prefix}/" if destination.prefix else ""
    objects: dict[str, list[dict[str, Any]]] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=destination.bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            crawl_id, _, relpath = entry["Key"][len(prefix) :].partition("/")
            if relpath:  # objects right under the prefix are not crawls (a site template, say)
                objects.setdefault(crawl_id, []).append({**entry, "relpath": relpath})
    spooled = _spooled_crawls(spool_dir, destination)
    crawls = []
    for crawl_id in sorted(objects.keys() | spooled.keys()):
        stored = objects.get(crawl_id, [])
        status = CrawlStatus(crawl_id, INCOMPLETE, destination.uri(crawl_id))
        if any(entry["relpath"] == MANIFEST_NAME for entry in stored):
            body = client.get_object(Bucket=destination.bucket, Key=destination.key(crawl_id, MANIFEST_NAME))["Body"]
            _from_manifest(status, json.loads(body.read()))
            crawls.append(status)
            continue
        spool = spooled.get(crawl_id)
        status.files = len(stored)
        status.bytes = sum(int(entry["Size"]) for entry in stored)
        if stored:
            status.last_write = max(entry["LastModified"] for entry in stored).astimezone(timezone.utc)
            status.start_time = min(filter(None, (_segment_start(entry["relpath"]) for entry in stored)), default=None)
        if spool is not None:
            status.location += f" (spool {spool.folder})"
            _from_files(status, spool.folder)  # files still local: the stored ones went up already
        if spool is not None and spool.manifest is not None:
            _from_manifest(status, spool.manifest)
            status.problems.append(f"its manifest waits in the spool {spool.folder}: run `scrapy upload`")
            status.pid = _holder(spool.folder, held)
            status.state = WAITING
        else:
            _unfinished(status, spool.folder if spool is not None else None, held)
        crawls.append(status)
    return sorted(crawls, key=CrawlStatus.sort_key)


def list_crawls(
    location: str, *, s3_client: Any = None, spool_dir: Path | None = None
) -> list[CrawlStatus]:
    """The crawls of an archive: a folder, ``file:///abs/path`` or ``s3://bucket/prefix``.

    An ``s3://`` location needs ``s3_client`` (boto3); ``spool_dir`` is where its crawls wait
    for upload (``ARCHIVE_SPOOL_DIR``).
    """
    if location.startswith("s3://"):
        if s3_client is None:
            raise ValueError(f"{location}: an S3 client is needed")
        return list_s3_crawls(s3_client, S3Destination.from_uri(location), spool_dir=spool_dir)
    return list_local_crawls(Path(location.removeprefix("file://")).expanduser().resolve())


# -- a crawl shared on a Redis frontier ------------------------------------------------------


def _from_frontier(status: CrawlStatus, snapshot: CrawlSnapshot) -> None:
    """A crawl without manifest as its frontier knows it: every worker's state (a running one
    whose heartbeat expired is dead), its pages and articles as it reported them (a done
    worker's), else as counted from its files here (None if not here), and the crawl running
    while any worker is."""
    counted = {entry["worker"]: entry for entry in status.workers}
    workers = []
    for worker, seen in snapshot.workers.items():
        files = counted.pop(worker, {})
        workers.append({
            "worker": worker, "state": seen.state,
            "pages": seen.stats.get("archive/warc/responses") if seen.stats else files.get("pages"),
            "articles": seen.stats.get("archive/text/articles") if seen.stats else files.get("articles"),
        })
    status.workers = sorted([*workers, *counted.values()], key=lambda entry: entry["worker"])
    status.frontier = {"queued": snapshot.queued, "leased": snapshot.leased,
                       "running_workers": snapshot.running_workers}
    if snapshot.running_workers:  # on this machine or another
        status.state = RUNNING
        status.problems = []
    elif snapshot.finisher:
        status.problems = [f"no manifest yet: worker {snapshot.finisher}, the last one out, is writing it "
                           "(or died doing so)"]
    elif status.state != RUNNING:  # its queue is in Redis: more workers, or `scrapy finish`, end it
        status.state = RESUMABLE
        status.problems = [f"no manifest and no live worker: start its workers again, or run "
                           f"`scrapy finish {status.crawl_id}`"]


def read_frontier(crawls: Iterable[CrawlStatus], url: str, *, timeout: float = FRONTIER_TIMEOUT) -> str | None:
    """Each crawl of ``crawls`` without a manifest (running, resumable, incomplete) as the
    frontier at ``url`` (``ARCHIVE_FRONTIER``) knows it, read without changing it: its
    workers' states, its queued and leased requests. A crawl Redis knows no worker of is
    left as it is. Returns None, or why Redis could not be read (the crawls not yet read are
    then left as they are): one short attempt of ``timeout`` seconds, no retry."""
    unfinished = [status for status in crawls if status.state in (RUNNING, RESUMABLE, INCOMPLETE)]
    if not unfinished:
        return None
    try:
        client = reader_client(url, timeout=timeout)
    except ValueError as error:  # not a Redis URL
        return f"ARCHIVE_FRONTIER is not a Redis URL: {str(error).rstrip('.')}"
    try:
        for status in unfinished:
            snapshot = crawl_snapshot(client, status.crawl_id)
            if snapshot is not None:
                _from_frontier(status, snapshot)
    except redis.exceptions.NoPermissionError as error:  # an ACL user without EVALSHA, say
        return f"the frontier's Redis (ARCHIVE_FRONTIER) refuses the look: {str(error).rstrip('.')}"
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
        return f"the frontier's Redis (ARCHIVE_FRONTIER) does not answer: {str(error).rstrip('.')}"
    finally:
        client.close()
    return None


def latest(crawls: Iterable[CrawlStatus]) -> CrawlStatus | None:
    """The crawl that started last."""
    return max(crawls, key=CrawlStatus.sort_key, default=None)


# -- output ----------------------------------------------------------------------------------


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def format_table(crawls: list[CrawlStatus]) -> str:
    """A table for people: one line a crawl, then one line per problem. Times are UTC."""
    header = ("crawl", "state", "start (UTC)", "end (UTC)", "pages", "articles", "size")
    rows = [
        (
            c.crawl_id,
            c.state + (f" (pid {c.pid})" if c.pid and c.state == RUNNING else ""),
            _when(c.start_time),
            _when(c.end_time) if c.end_time else (f"last write {_when(c.last_write)}" if c.last_write else "-"),
            "?" if c.pages is None else str(c.pages),
            "?" if c.articles is None else str(c.articles),
            _size(c.bytes),
        )
        for c in crawls
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True)).rstrip()]
    for crawl, row in zip(crawls, rows, strict=True):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        lines += [f"    {problem}" for problem in crawl.problems]
        lines += [
            f"    worker {w['worker']}: {w['state']}, "
            + ("? pages" if w["pages"] is None else f"{w['pages']} pages")
            + (", ? articles" if w["articles"] is None else f", {w['articles']} articles")
            for w in crawl.workers
        ]
        if crawl.frontier is not None:
            lines.append(f"    frontier: queued {crawl.frontier['queued']}, leased {crawl.frontier['leased']}")
    return "\n".join(lines)


def report(crawls: list[CrawlStatus], *, as_json: bool, out: Any = None) -> int:
    """Print the crawls (a table, or JSON); return the exit status: 1 if the latest failed."""
    out = out or sys.stdout
    last = latest(crawls)
    if as_json:
        document = {
            "crawls": [c.to_json() for c in crawls],
            "latest": last.crawl_id if last else None,
            "latest_failed": bool(last and last.failed),
        }
        out.write(json.dumps(document, indent=2) + "\n")
    elif crawls:
        out.write(format_table(crawls) + "\n")
    else:
        out.write("no crawls\n")
    return 1 if last is not None and last.failed else 0


def main(argv: list[str] | None = None, *, settings: Any = None) -> int:
    """``crawls [ARCHIVE] [--json]``: list the crawls; exit 1 if the latest failed, 2 if none can be read.

    ``settings`` (Scrapy's settings, or a plain mapping of setting names) gives
    ``ARCHIVE_URI`` when no ARCHIVE is given, ``ARCHIVE_SPOOL_DIR`` and the ``AWS_*`` values
    of an S3 client, as a crawl reads them; unset ``AWS_*`` values are found boto3's way.
    With ``ARCHIVE_FRONTIER`` the crawls without manifest are looked up in that Redis
    (:func:`read_frontier`); if it does not answer, one warning line on stderr and the
    listing without it.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    from scraper.storage.s3 import S3ClientOptions, S3StorageError, spool_dir_from_settings

    parser = argparse.ArgumentParser(
        prog="crawls", description="List the crawls of an archive with their state; exit 1 if the latest failed."
    )
    parser.add_argument("archive", nargs="?", help="archive folder or s3://bucket/prefix (default: ARCHIVE_URI)")
    parser.add_argument("--json", action="store_true", help="JSON for machines")
    options = parser.parse_args(argv)
    if not hasattr(settings, "getbool"):
        settings = MappingSettings(settings or {})
    location = options.archive or settings.get("ARCHIVE_URI")
    if not location:
        parser.error("give an archive: a folder or s3://bucket/prefix (ARCHIVE_URI is not set)")
    try:
        if location.startswith("s3://"):
            client = S3ClientOptions.from_settings(settings, location).make_client()
            crawls = list_crawls(location, s3_client=client, spool_dir=spool_dir_from_settings(settings))
        else:
            crawls = list_crawls(location)
    except (OSError, ValueError, S3StorageError, BotoCoreError, ClientError) as error:
        # The operator's mistake (a wrong path, bucket or credentials), said in one line.
        print(f"crawls: cannot list {location}: {error}", file=sys.stderr)
        return 2
    frontier = settings.get("ARCHIVE_FRONTIER") or ""
    if frontier:
        problem = read_frontier(crawls, frontier)
        if problem is not None:
            print(f"crawls: warning: {problem}. Crawls shown from the archive alone.", file=sys.stderr)
    return report(crawls, as_json=options.json)


class MappingSettings:
    """Settings read by name from a plain mapping, as :class:`scraper.component.Settings` reads them."""

    def __init__(self, values: Mapping[str, Any]):
        self.values = values

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def getbool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name, default)
        return value.lower() in ("1", "true", "yes", "on") if isinstance(value, str) else bool(value)

    def getint(self, name: str, default: int = 0) -> int:
        value = self.values.get(name)
        return default if value in (None, "") else int(value)

    def getfloat(self, name: str, default: float = 0.0) -> float:
        value = self.values.get(name)
        return default if value in (None, "") else float(value)

    def getlist(self, name: str, default: list[Any] | None = None) -> list[Any]:
        value = self.values.get(name)
        if value in (None, ""):
            return list(default or [])
        return value.split(",") if isinstance(value, str) else list(value)
