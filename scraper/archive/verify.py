"""Checks a finished crawl folder and reports every fault, file by file.

Every WARC must parse to its end with matching block and payload digests (as ``warcio
check``), every file must have the manifest's size and SHA-256, and every text row,
index line and WET record must point at the response it names. Pure logic on a local
folder: it prints nothing and downloads nothing (the command does that).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from scraper.archive.cdxj import is_warc_name
from scraper.archive.manifest import MANIFEST_NAME
from scraper.archive.warc import PayloadDigester, is_chunked, parse_digest
from scraper.files import file_sha256

__all__ = ["Fault", "RecordInfo", "VerifyReport", "verify_crawl"]

logger = logging.getLogger(__name__)

READ_BLOCK = 1 << 20
#: What a cut or corrupt gzip/WARC file raises while being read.
READ_ERRORS = (ArchiveLoadFailed, EOFError, OSError, zlib.error, ValueError)


@dataclass(frozen=True)
class Fault:
    """One thing wrong, in one file of the crawl (path relative to the crawl folder)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class RecordInfo:
    """What a text row or an index line may point at: one WARC record."""

    record_id: str
    warc_type: str
    target_uri: str
    payload_digest: str


@dataclass
class VerifyReport:
    """Counts of what was checked and the faults found."""

    crawl_dir: Path
    faults: list[Fault] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.faults

    def fault(self, path: str, message: str) -> None:
        self.faults.append(Fault(path, message))

    def damaged_files(self) -> list[str]:
        """Each damaged file once, in the order its first fault was found."""
        return list(dict.fromkeys(f.path for f in self.faults))

    def summary(self) -> str:
        c = self.counts
        lines = [
            f"Crawl folder {self.crawl_dir}",
            f"  manifest: {c['manifest_files']} files listed, {c['manifest_checked']} size and SHA-256 checked",
            f"  WARC: {c['warc_files']} files, {c['warc_records']} records ({c['warc_responses']} responses), "
            f"{c['digests_checked']} records (WARC and WET) with digests checked",
            *([f"  legacy payload digests: {c['legacy_payload_digest']} records digest the chunk framing "
                "(an older writer's reading of WARC 1.1 section 6.3.2), not damage"]
              if c["legacy_payload_digest"] else []),
            f"  text: {c['text_files']} files, {c['text_rows']} rows pointing at their responses",
            f"  indexes: {c['index_files']} CDXJ files, {c['index_lines']} lines",
            f"  WET: {c['wet_files']} files, {c['wet_records']} conversion records",
            f"  WACZ: {c['wacz_files']} packages, {c['wacz_resources']} resources hashed",
        ]
        if self.ok:
            lines.append("OK: no faults")
        else:
            lines.append(f"FAULTS: {len(self.faults)} in {len(self.damaged_files())} files")
            lines += [f"  {fault}" for fault in self.faults]
        return "\n".join(lines)


def _relpath(crawl_dir: Path, path: Path) -> str:
    return path.relative_to(crawl_dir).as_posix()


# -- the manifest ---------------------------------------------------------------------


def check_manifest(crawl_dir: Path, report: VerifyReport) -> dict[str, str]:
    """Every listed file has its size and SHA-256; every file present is listed.

    Returns the manifest's SHA-256 by path (empty without a readable manifest).
    """
    manifest_path = crawl_dir / MANIFEST_NAME
    if not manifest_path.exists():
        report.fault(MANIFEST_NAME, "missing: the crawl did not finish (or is still running)")
        return {}
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        entries = list(manifest["files"])
    except (ValueError, KeyError, TypeError) as error:
        report.fault(MANIFEST_NAME, f"not a readable manifest: {error}")
        return {}
    listed: dict[str, str] = {}
    for entry in entries:
        relpath = str(entry.get("path", ""))
        listed[relpath] = str(entry.get("sha256"))
        report.counts["manifest_files"] += 1
        path = crawl_dir / relpath
        if not path.is_file():
            report.fault(relpath, "listed in the manifest but missing")
            continue
        size = path.stat().st_size
        if size != entry.get("size"):
            report.fault(relpath, f"size {size} bytes, manifest says {entry.get('size')}")
        elif file_sha256(path) != entry.get("sha256"):
            report.fault(relpath, "SHA-256 differs from the manifest")
        report.counts["manifest_checked"] += 1
    for path in sorted(p for p in crawl_dir.rglob("*") if p.is_file()):
        relpath = _relpath(crawl_dir, path)
        if relpath != MANIFEST_NAME and relpath not in listed:
            report.fault(relpath, "not listed in the manifest (left over from an unfinished write?)")
    return listed


# -- WARC files -----------------------------------------------------------------------


def _drain(stream: Any, digester: PayloadDigester | None) -> None:
    while block := stream.read(READ_BLOCK):
        if digester is not None:
            digester.update(block)


def _payload_digester(record: ArcWarcRecord) -> PayloadDigester | None:
    """Our own payload digest for an HTTP record that claims one: warcio's covers chunk framing."""
    declared = parse_digest(record.rec_headers.get_header("WARC-Payload-Digest") or "")
    if record.http_headers is None or declared is None:
        return None
    return PayloadDigester(is_chunked(record.http_headers), algorithm=declared[0], legacy=True)


#: What warcio raises on a damaged file, besides read errors: a WARC header block cut
#: short reaches its HTTP parser without a target URI.
PARSE_ERRORS = (*READ_ERRORS, AttributeError)


def scan_records(path: Path, relpath: str, report: VerifyReport) -> Iterator[tuple[int, ArcWarcRecord]]:
    """Every record of a WARC with its offset, read to its end so its digests are checked.

    Digest mismatches and a file that stops parsing before its end are faults. Only
    warcio's reading is guarded: an error in the caller's code is not taken for damage.
    """
    offset = end = 0
    records_read = 0
    with open(path, "rb") as f:
        iterator = ArchiveIterator(f, check_digests=True)
        records = iter(iterator)
        while True:
            try:
                record = next(records, None)
                if record is None:
                    break
                digester = _payload_digester(record)
                _drain(record.raw_stream, digester)
                offset = iterator.get_record_offset()
                end = offset + iterator.get_record_length()
            except PARSE_ERRORS as error:
                report.fault(relpath, f"unreadable after offset {offset}: {error!r}")
                return
            records_read += 1
            _record_faults(record, offset, relpath, report, digester)
            decompressor = iterator.reader.decompressor
            if decompressor is not None and not decompressor.eof:
                report.fault(relpath, f"the gzip member of the record at offset {offset} is cut short")
            yield offset, record
        f.seek(0)
        compressed = f.read(2) == b"\x1f\x8b"
        f.seek(end)
        if records_read:
            _tail_faults(f.read(READ_BLOCK), compressed=compressed, offset=offset, relpath=relpath, report=report)
        else:
            report.fault(relpath, "holds no readable WARC record")


def _tail_faults(tail: bytes, *, compressed: bool, offset: int, relpath: str, report: VerifyReport) -> None:
    """What follows the last whole record: nothing (gzip), or its closing CRLF CRLF."""
    if tail.strip(b"\r\n"):  # warcio ends quietly at a record whose headers are cut
        report.fault(relpath, f"bytes after the last whole record (at offset {offset}) are not a record: "
                              "the file is cut or damaged")
    elif not compressed and tail != b"\r\n\r\n":
        report.fault(relpath, f"the last record (at offset {offset}) lacks its closing CRLF CRLF: the file is cut")


def _record_faults(record: ArcWarcRecord, offset: int, relpath: str, report: VerifyReport,
                   digester: PayloadDigester | None) -> None:
    """A record cut short by the end of the file, or whose digests do not match.

    The payload digest of an HTTP record is checked as WARC 1.1 defines it (the payload
    de-chunked, :class:`~scraper.archive.warc.PayloadDigester`), not as warcio computes
    it; a digest over the chunk framing, as older crawlers wrote it, is counted
    (``legacy_payload_digest``), not taken for damage."""
    record_id = record.rec_headers.get_header("WARC-Record-ID")
    if record.length is None:  # warcio yields a header block cut short as a record without one
        report.fault(relpath, f"record at offset {offset} has no Content-Length: its headers are cut or damaged")
        return
    missing = getattr(record.raw_stream, "limit", 0)
    if missing:  # the file ends inside this record: warcio stops without a word
        report.fault(relpath, f"record {record_id} at offset {offset} is cut short: "
                              f"{missing} bytes of its block are missing")
    checker = record.digest_checker
    problems = list(checker.problems)
    if digester is not None:  # warcio's word on the payload is replaced by ours
        problems = [problem for problem in problems if not problem.startswith("payload digest failed")]
        declared = record.rec_headers.get_header("WARC-Payload-Digest") or ""
        match = digester.match(declared)
        if match == "legacy":
            report.counts["legacy_payload_digest"] += 1
        elif match is None:
            problems.append(f"payload digest failed: {declared} declared, the payload's is {digester.label()}")
    if problems:
        for problem in problems:
            report.fault(relpath, f"record {record_id} at offset {offset}: {problem}")
    elif checker.passed is not None or digester is not None:
        report.counts["digests_checked"] += 1


def check_warc(path: Path, relpath: str, report: VerifyReport, records: dict[tuple[str, int], RecordInfo]) -> None:
    """Parse a WARC to its end; add its records to ``records`` by (file name, offset)."""
    for offset, record in scan_records(path, relpath, report):
        report.counts["warc_records"] += 1
        if record.rec_type == "response":
            report.counts["warc_responses"] += 1
        records[(path.name, offset)] = RecordInfo(
            record.rec_headers.get_header("WARC-Record-ID") or "",
            record.rec_type,
            record.rec_headers.get_header("WARC-Target-URI") or "",
            record.rec_headers.get_header("WARC-Payload-Digest") or "",
        )


# -- what points into the WARCs ---------------------------------------------------------


def _gzip_lines(path: Path) -> Iterator[str]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        yield from lines


def row_fault(row: dict[str, Any], records: dict[tuple[str, int], RecordInfo]) -> str | None:
    """What is wrong with a text row's pointer to its response, or None."""
    try:
        place = (str(row["warc_filename"]), int(row["warc_offset"]))
    except (KeyError, TypeError, ValueError):
        return "no warc_filename and warc_offset"
    target = records.get(place)
    if target is None:
        return f"no record at {place[0]} offset {place[1]}"
    if target.warc_type != "response":
        return f"points at a {target.warc_type} record, not a response"
    if target.record_id != row.get("warc_record_id"):
        return f"record id {row.get('warc_record_id')}, the WARC has {target.record_id}"
    if target.payload_digest != row.get("payload_digest"):
        return f"payload digest {row.get('payload_digest')}, the WARC has {target.payload_digest}"
    if target.target_uri != row.get("url"):
        return f"the record is for {target.target_uri}"
    return None


def check_text_rows(path: Path, relpath: str, report: VerifyReport,
                    records: dict[tuple[str, int], RecordInfo]) -> None:
    """Each row's ``warc_filename``/``warc_offset`` is the response it names."""
    number = 0
    try:
        for number, line in enumerate(_gzip_lines(path), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            report.counts["text_rows"] += 1
            problem = row_fault(row, records)
            if problem:
                report.fault(relpath, f"row {number} ({row.get('url')}): {problem}")
    except READ_ERRORS as error:
        report.fault(relpath, f"unreadable after row {number}: {error!r}")


def check_cdxj(path: Path, relpath: str, report: VerifyReport,
               records: dict[tuple[str, int], RecordInfo]) -> None:
    """Each index line points at a record of its URL."""
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            report.counts["index_lines"] += 1
            try:
                fields = json.loads(line.split(" ", 2)[2])
                place = (str(fields["filename"]), int(fields["offset"]))
            except (IndexError, KeyError, ValueError) as error:
                report.fault(relpath, f"line {number}: not a CDXJ line ({error!r})")
                continue
            target = records.get(place)
            if target is None:
                report.fault(relpath, f"line {number}: no record at {place[0]} offset {place[1]}")
            elif target.target_uri != fields.get("url"):
                report.fault(relpath, f"line {number}: the record is for {target.target_uri}, not {fields.get('url')}")


def check_wet(path: Path, relpath: str, report: VerifyReport, response_ids: set[str]) -> None:
    """A WET file parses with good digests; every conversion refers to an archived response."""
    for offset, record in scan_records(path, relpath, report):
        if record.rec_type != "conversion":
            continue
        report.counts["wet_records"] += 1
        refers_to = record.rec_headers.get_header("WARC-Refers-To") or ""
        if refers_to not in response_ids:
            report.fault(relpath, f"conversion record at offset {offset} refers to {refers_to!r}, "
                                  "no response in the WARCs")


def check_wacz(path: Path, relpath: str, report: VerifyReport, listed: dict[str, str]) -> None:
    """Every resource of ``datapackage.json`` is in the package with its SHA-256 and size,
    and the WARCs in it are the crawl's (the manifest's SHA-256 of ``warc/<name>``)."""
    try:
        with zipfile.ZipFile(path) as zf:
            package = json.loads(zf.read("datapackage.json"))
            for resource in package.get("resources", []):
                name = resource["path"]
                digest = hashlib.sha256()
                size = 0
                with zf.open(name) as member:
                    for block in iter(lambda: member.read(READ_BLOCK), b""):
                        digest.update(block)
                        size += len(block)
                report.counts["wacz_resources"] += 1
                if f"sha256:{digest.hexdigest()}" != resource.get("hash") or size != resource.get("bytes"):
                    report.fault(relpath, f"{name}: hash or size differs from datapackage.json")
                original = "warc/" + name.removeprefix("archive/")
                if name.startswith("archive/") and original in listed and listed[original] != digest.hexdigest():
                    report.fault(relpath, f"{name} is not the manifest's {original}")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, zlib.error) as error:
        report.fault(relpath, f"not a readable WACZ package: {error!r}")


# -- the whole crawl --------------------------------------------------------------------


def verify_crawl(crawl_dir: Path) -> VerifyReport:
    """Check the crawl in ``crawl_dir``; the report lists every fault found."""
    crawl_dir = Path(crawl_dir)
    report = VerifyReport(crawl_dir)
    if not crawl_dir.is_dir():
        report.fault(str(crawl_dir), "not a folder")
        return report
    listed = check_manifest(crawl_dir, report)
    records: dict[tuple[str, int], RecordInfo] = {}
    for path in sorted((crawl_dir / "warc").glob("*")):
        if path.is_file() and is_warc_name(path.name):
            report.counts["warc_files"] += 1
            check_warc(path, _relpath(crawl_dir, path), report, records)
    if not report.counts["warc_files"]:
        report.fault("warc", "no WARC files")
    for path in sorted((crawl_dir / "text").glob("*.jsonl.gz")):
        report.counts["text_files"] += 1
        check_text_rows(path, _relpath(crawl_dir, path), report, records)
    for path in sorted((crawl_dir / "indexes").glob("*.cdxj")):
        report.counts["index_files"] += 1
        check_cdxj(path, _relpath(crawl_dir, path), report, records)
    response_ids = {info.record_id for info in records.values() if info.warc_type == "response"}
    for path in sorted((crawl_dir / "wet").glob("*.warc.wet.gz")):
        report.counts["wet_files"] += 1
        check_wet(path, _relpath(crawl_dir, path), report, response_ids)
    for path in sorted(crawl_dir.glob("*.wacz")):
        report.counts["wacz_files"] += 1
        check_wacz(path, _relpath(crawl_dir, path), report, listed)
    logger.debug("Verified %s: %d faults", crawl_dir, len(report.faults))
    return report
