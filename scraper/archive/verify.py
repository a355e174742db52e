"""Checks an archive and reports every fault, file by file: a crawl folder, a WARC or ARC
file, a folder of them, or a WACZ package.

Every WARC must parse to its end with matching block and payload digests (as ``warcio
check``) and line ends as its format has them; in a crawl, every file must have the
manifest's size and SHA-256, and every text row, index line and WET record must point at
the response it names, and every revisit record's original must be in the crawl or in
another crawl of the archive (the crawl folder's siblings); in a WACZ, every resource must
have the hash and size of its ``datapackage.json`` and every index line must point at a
record of its WARCs. An incomplete crawl (a stop or kill left ``.open`` files, no manifest
yet) is read up to each open file's last whole record; a torn last record is a note, not a
fault. Pure logic on local files: it prints nothing and downloads nothing (the command does that).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.timeutils import iso_date_to_timestamp

from scraper.archive.cdxj import is_warc_name, url_key
from scraper.archive.manifest import MANIFEST_NAME
from scraper.archive.reader import CUT, FILE_DAMAGE, READ_ERRORS, ArchiveReader, Damage
from scraper.archive.recovery import gzip_members_end
from scraper.archive.sources import CRAWL, WACZ, WARC_FILE, ArchiveFile, source_kind, wacz_warcs
from scraper.files import OPEN_SUFFIX, file_sha256

__all__ = ["Fault", "RecordInfo", "VerifyReport", "verify_crawl", "verify_path"]

logger = logging.getLogger(__name__)

READ_BLOCK = 1 << 20
#: Why an open file ends in a torn record, and what makes it whole.
TORN = "cut by a stop or kill: `scrapy crawl` with the same crawl id resumes it"


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
    #: A revisit's original: WARC-Refers-To, WARC-Refers-To-Target-URI, WARC-Refers-To-Date.
    refers_to: tuple[str, str, str] | None = None


@dataclass
class VerifyReport:
    """Counts of what was checked and the faults found, in the archive at ``location``
    (one of the kinds of :mod:`scraper.archive.sources`; fault paths are relative to it)."""

    location: Path
    faults: list[Fault] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    kind: str = CRAWL
    #: A crawl a stop or kill left with ``.open`` files: what is whole is checked, the rest resumed.
    incomplete: bool = False
    #: What is not damage but a reader should know (an open file's torn last record).
    notes: list[Fault] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.faults

    def fault(self, path: str, message: str) -> None:
        self.faults.append(Fault(path, message))

    def damaged_files(self) -> list[str]:
        """Each damaged file once, in the order its first fault was found."""
        return list(dict.fromkeys(f.path for f in self.faults))

    def summary(self) -> str:
        """What was checked (the kind of archive first) and every fault, for people."""
        c = self.counts
        crawl = self.kind == CRAWL
        first = f"{self.kind[0].upper()}{self.kind[1:]} {self.location}"
        if self.incomplete:
            first = (f"INCOMPLETE crawl {self.location}: {c['open_files']} files still open (a stop or kill), "
                     "checked up to their last whole record; `scrapy crawl` with the same crawl id resumes it")
        lines = [
            first,
            *([f"  manifest: {c['manifest_files']} files listed, {c['manifest_checked']} size and SHA-256 checked"]
              if crawl else []),
            f"  WARC/ARC: {c['warc_files']} files, {c['warc_records']} records ({c['warc_responses']} responses), "
            f"{c['digests_checked']} records{' (WARC and WET)' if crawl else ''} with digests checked",
            *([f"  legacy payload digests: {c['legacy_payload_digest']} records digest the chunk framing "
                "(an older writer's reading of WARC 1.1 section 6.3.2), not damage"]
              if c["legacy_payload_digest"] else []),
            *([f"  text: {c['text_files']} files, {c['text_rows']} rows pointing at their responses"] if crawl else []),
            *([f"  indexes: {c['index_files']} CDXJ files, {c['index_lines']} lines"]
              if crawl or c["index_files"] else []),
            *([f"  WET: {c['wet_files']} files, {c['wet_records']} conversion records"] if crawl else []),
            *([f"  revisits: {c['revisits']} records, {c['revisit_originals']} originals found "
               f"({c['revisit_originals_elsewhere']} in earlier crawls of the archive)"] if crawl else []),
            *([f"  WACZ: {c['wacz_files']} packages, {c['wacz_resources']} resources hashed"]
              if crawl or c["wacz_files"] else []),
        ]
        if self.notes:
            lines.append(f"  open files: {len(self.notes)} end in a torn record")
            lines += [f"    {note}" for note in self.notes]
        if self.ok:
            lines.append("OK: no faults" + (" in what is whole" if self.incomplete else ""))
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
        if not report.incomplete:  # an incomplete crawl has none yet: its summary says so
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


def scan_records(path: Path | ArchiveFile, relpath: str, report: VerifyReport, *, open_file: bool = False,
                 ) -> Iterator[tuple[int, ArcWarcRecord]]:
    """Every record of a WARC or ARC (on disk or in a WACZ) with its offset, read to its end
    so its digests are checked.

    Each damage the reader finds (a digest mismatch, a cut, odd line ends, a file that
    stops parsing before its end) is a fault of ``relpath``. In an ``open_file`` (still
    ``.open``: a stop or kill came before its close) a cut where reading stops is the torn
    last record a resumed crawl cuts off: a note, and only whole records are yielded.
    """
    reader = ArchiveReader(path, check_digests=True)
    reported = 0
    for item in reader:
        reader.finish(item)
        if item.digests_checked:
            report.counts["digests_checked"] += 1
        if item.legacy_payload_digest:
            report.counts["legacy_payload_digest"] += 1
        reported = _report_damage(reader.damage, reported, relpath, report, open_file=open_file)
        if item.whole or not open_file:
            yield item.offset, item.record
    _report_damage(reader.damage, reported, relpath, report, open_file=open_file)


def _report_damage(damage: list[Damage], reported: int, relpath: str, report: VerifyReport, *,
                   open_file: bool = False) -> int:
    for found in damage[reported:]:
        if open_file and found.kind in (*CUT, *FILE_DAMAGE):
            report.notes.append(Fault(relpath, f"the record at offset {found.offset} is {TORN}"))
        else:
            report.fault(relpath, found.message)
    return len(damage)


def check_warc(path: Path | ArchiveFile, relpath: str, report: VerifyReport,
               records: dict[tuple[str, int], RecordInfo]) -> None:
    """Parse a WARC or ARC to its end; add its records to ``records`` by (file name, offset).

    An ``.open`` file is read to its last whole record, under the name it will have complete
    (the one text rows and index lines give it)."""
    name = path.name
    open_file = name.endswith(OPEN_SUFFIX)
    for offset, record in scan_records(path, relpath, report, open_file=open_file):
        report.counts["warc_records"] += 1
        if record.rec_type == "response":
            report.counts["warc_responses"] += 1
        headers = record.rec_headers
        refers_to = None
        if record.rec_type == "revisit":
            refers_to = tuple(headers.get_header(name) or "" for name in
                              ("WARC-Refers-To", "WARC-Refers-To-Target-URI", "WARC-Refers-To-Date"))
        records[(name.removesuffix(OPEN_SUFFIX), offset)] = RecordInfo(
            headers.get_header("WARC-Record-ID") or "",
            record.rec_type,
            headers.get_header("WARC-Target-URI") or "",
            headers.get_header("WARC-Payload-Digest") or "",
            refers_to,  # type: ignore[arg-type]
        )


# -- what points into the WARCs ---------------------------------------------------------


def _gzip_lines(path: Path) -> Iterator[str]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        yield from lines


def _open_gzip_lines(path: Path, relpath: str, report: VerifyReport) -> Iterator[str]:
    """The lines of an ``.open`` text file's whole gzip members; a torn last one is a note."""
    end, _ = gzip_members_end(path)
    data = path.read_bytes()
    if end < len(data):
        report.notes.append(Fault(relpath, f"the row at offset {end} is {TORN}"))
    yield from io.StringIO(gzip.decompress(data[:end]).decode("utf-8") if end else "")


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
    lines = _open_gzip_lines(path, relpath, report) if path.name.endswith(OPEN_SUFFIX) else _gzip_lines(path)
    try:
        for number, line in enumerate(lines, 1):
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
        check_cdxj_lines(lines, relpath, report, records)


def check_cdxj_lines(lines: Iterable[str], relpath: str, report: VerifyReport,
                     records: dict[tuple[str, int], RecordInfo]) -> None:
    """Each CDXJ line (``!meta`` lines aside) points at a record of its URL."""
    for number, line in enumerate(lines, 1):
        if line.startswith("!") or not line.strip():
            continue
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
    for offset, record in scan_records(path, relpath, report, open_file=path.name.endswith(OPEN_SUFFIX)):
        if record.rec_type != "conversion":
            continue
        report.counts["wet_records"] += 1
        refers_to = record.rec_headers.get_header("WARC-Refers-To") or ""
        if refers_to not in response_ids:
            report.fault(relpath, f"conversion record at offset {offset} refers to {refers_to!r}, "
                                  "no response in the WARCs")


def _archived_captures(archive_root: Path, skip: Path, urls: set[str]) -> dict[tuple[str, str], tuple[Path, int, str]]:
    """``(url, 14-digit timestamp)`` -> ``(WARC path, offset, digest)`` of the response records
    of ``urls`` in the other crawls' CDXJ indexes under ``archive_root``."""
    keys = {url_key(url) for url in urls}
    found: dict[tuple[str, str], tuple[Path, int, str]] = {}
    for index in sorted(archive_root.glob("*/indexes/*.cdxj")):
        crawl_dir = index.parent.parent
        if crawl_dir == skip:
            continue
        with open(index, encoding="utf-8") as lines:
            for line in lines:
                key, timestamp, rest = line.split(" ", 2)
                if key not in keys:
                    continue
                fields = json.loads(rest)
                if fields.get("url") in urls and fields.get("mime") != "warc/revisit":
                    place = (crawl_dir / "warc" / fields["filename"], int(fields["offset"]), fields.get("digest", ""))
                    found[(fields["url"], timestamp)] = place
    return found


def _record_id_at(path: Path, offset: int) -> str | None:
    try:
        with open(path, "rb") as stream:
            stream.seek(offset)
            record = next(iter(ArchiveIterator(stream)), None)
            return record.rec_headers.get_header("WARC-Record-ID") if record is not None else None
    except READ_ERRORS:
        return None


def check_revisits(crawl_dir: Path, report: VerifyReport, records: dict[tuple[str, int], RecordInfo]) -> None:
    """Each revisit record's original (``WARC-Refers-To``) is a response record with its
    target URI, date and payload digest, in this crawl or in another crawl of the archive
    (found by the CDXJ indexes of the crawl folder's siblings, then read at its offset)."""
    responses = {info.record_id: info for info in records.values() if info.warc_type == "response"}
    elsewhere: list[tuple[str, int, RecordInfo]] = []
    for (name, offset), info in records.items():
        if info.refers_to is None:
            continue
        report.counts["revisits"] += 1
        original = responses.get(info.refers_to[0])
        if original is None:
            elsewhere.append((name, offset, info))
        elif (original.target_uri, original.payload_digest) != (info.refers_to[1], info.payload_digest):
            report.fault(f"warc/{name}", f"revisit record at offset {offset}: its original {info.refers_to[0]} "
                                         "is for another URI or payload")
        else:
            report.counts["revisit_originals"] += 1
    if not elsewhere:
        return
    captures = _archived_captures(crawl_dir.parent, crawl_dir, {info.refers_to[1] for _, _, info in elsewhere
                                                                if info.refers_to})
    for name, offset, info in elsewhere:
        assert info.refers_to is not None
        record_id, uri, date = info.refers_to
        place = captures.get((uri, iso_date_to_timestamp(date))) if date else None
        if place is None or place[2] != info.payload_digest or _record_id_at(place[0], place[1]) != record_id:
            report.fault(f"warc/{name}", f"revisit record at offset {offset}: its original {record_id} "
                                         f"({uri} at {date}) is in no crawl of the archive")
            continue
        report.counts["revisit_originals"] += 1
        report.counts["revisit_originals_elsewhere"] += 1


def check_wacz(path: Path, relpath: str, report: VerifyReport, listed: dict[str, str],
               records: dict[tuple[str, int], RecordInfo] | None = None) -> None:
    """Every resource of ``datapackage.json`` is in the package with its SHA-256 and size,
    the WARCs in it are the crawl's (the manifest's SHA-256 of ``warc/<name>``), and, given
    the ``records`` of its WARCs, every line of its indexes points at one of them."""
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
            if records is not None:
                check_wacz_indexes(zf, relpath, report, records)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, zlib.error, EOFError) as error:
        report.fault(relpath, f"not a readable WACZ package: {error!r}")


def check_wacz_indexes(zf: zipfile.ZipFile, relpath: str, report: VerifyReport,
                       records: dict[tuple[str, int], RecordInfo]) -> None:
    """The indexes of a WACZ: plain ``indexes/*.cdxj``, and ZipNum ``*.cdx.gz`` blocks with
    their ``*.idx`` (each idx line is the offset, length and SHA-256 of a gzip block that
    starts with its key). Every CDXJ line must point at a record of its URL.
    """
    for name in sorted(n for n in zf.namelist() if n.startswith("indexes/")):
        if name.endswith(".cdxj"):
            report.counts["index_files"] += 1
            with zf.open(name) as data:
                check_cdxj_lines(io.TextIOWrapper(data, encoding="utf-8"), f"{relpath}/{name}", report, records)
        elif name.endswith(".cdx.gz"):
            report.counts["index_files"] += 1
            with zf.open(name) as data, gzip.open(data, "rt", encoding="utf-8") as lines:
                check_cdxj_lines(lines, f"{relpath}/{name}", report, records)
        elif name.endswith(".idx"):
            check_zipnum_idx(zf, name, f"{relpath}/{name}", report)


def check_zipnum_idx(zf: zipfile.ZipFile, name: str, relpath: str, report: VerifyReport) -> None:
    """Each line of a ZipNum ``.idx`` names a gzip block of its ``.cdx.gz`` that starts with its key."""
    folder = name.rsplit("/", 1)[0]
    blocks_name = f"{folder}/index.cdx.gz"
    entries = []
    with zf.open(name) as data:
        for number, line in enumerate(io.TextIOWrapper(data, encoding="utf-8"), 1):
            key, _, fields_json = line.partition(" {")
            fields = json.loads("{" + fields_json)
            if key.startswith("!meta"):
                blocks_name = f"{folder}/{fields.get('filename', 'index.cdx.gz')}"
            else:
                entries.append((number, key, fields))
    with zf.open(blocks_name) as blocks:
        for number, key, fields in entries:
            blocks.seek(int(fields["offset"]))
            block = blocks.read(int(fields["length"]))
            digest = fields.get("digest")
            where = f"line {number}: the block at offset {fields['offset']} of {blocks_name}"
            if digest and digest != "sha256:" + hashlib.sha256(block).hexdigest():
                report.fault(relpath, f"{where} has another SHA-256")
            elif not gzip.decompress(block).decode("utf-8").startswith(key):
                report.fault(relpath, f"{where} does not start with {key!r}")


def check_wacz_package(path: Path, relpath: str, report: VerifyReport) -> None:
    """A WACZ on its own: its ``archive/`` WARCs read as any WARC, its hashes, its indexes."""
    report.counts["wacz_files"] += 1
    try:
        warcs = wacz_warcs(path)
    except (zipfile.BadZipFile, OSError) as error:
        report.fault(relpath, f"not a readable WACZ package: {error!r}")
        return
    if not warcs:
        report.fault(relpath, "no WARC files in archive/")
    records: dict[tuple[str, int], RecordInfo] = {}
    for warc in warcs:
        report.counts["warc_files"] += 1
        check_warc(warc, f"{relpath}/{warc.member}", report, records)
    check_wacz(path, relpath, report, {}, records)


# -- the whole crawl --------------------------------------------------------------------


def verify_path(location: Path) -> VerifyReport:
    """Check what is at ``location``, whichever kind of archive it is
    (:func:`scraper.archive.sources.source_kind`); the report names the kind and every fault.

    Raises ``FileNotFoundError`` if nothing is there.
    """
    location = Path(location)
    kind = source_kind(location)
    if kind == CRAWL:
        return verify_crawl(location)
    report = VerifyReport(location, kind=kind)
    if kind == WACZ:
        check_wacz_package(location, location.name, report)
    elif kind == WARC_FILE:
        report.counts["warc_files"] += 1
        check_warc(location, location.name, report, {})
    else:
        verify_folder(location, report)
    logger.debug("Verified %s %s: %d faults", kind, location, len(report.faults))
    return report


def verify_folder(folder: Path, report: VerifyReport) -> None:
    """Every WARC/ARC file and WACZ package under ``folder``, each on its own."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relpath = _relpath(folder, path)
        if path.name.endswith(".wacz"):
            check_wacz_package(path, relpath, report)
        elif is_warc_name(path.name):
            report.counts["warc_files"] += 1
            check_warc(path, relpath, report, {})
    if not report.counts["warc_files"]:
        report.fault(".", "no WARC, ARC or WACZ files")


def _segments(folder: Path, pattern: str, opened: str) -> list[Path]:
    """The complete files of ``folder`` matching ``pattern``, and its ``.open`` ones if ``opened``."""
    return sorted({*folder.glob(pattern), *(folder.glob(pattern + opened) if opened else ())})


def verify_crawl(crawl_dir: Path) -> VerifyReport:
    """Check the crawl in ``crawl_dir``; the report lists every fault found.

    A crawl with ``.open`` files and no manifest (stopped or killed before its end, not yet
    resumed) is :attr:`VerifyReport.incomplete`: its open files are read up to their last
    whole record. Beside a manifest, an ``.open`` file is a leftover: a fault.
    """
    crawl_dir = Path(crawl_dir)
    report = VerifyReport(crawl_dir)
    if not crawl_dir.is_dir():
        report.fault(str(crawl_dir), "not a folder")
        return report
    open_files = [p for p in crawl_dir.glob(f"*/*{OPEN_SUFFIX}") if p.is_file()]
    report.incomplete = bool(open_files) and not (crawl_dir / MANIFEST_NAME).exists()
    report.counts["open_files"] = len(open_files) if report.incomplete else 0
    opened = OPEN_SUFFIX if report.incomplete else ""
    listed = check_manifest(crawl_dir, report)
    records: dict[tuple[str, int], RecordInfo] = {}
    for path in sorted((crawl_dir / "warc").glob("*")):
        if path.is_file() and is_warc_name(path.name.removesuffix(opened)):
            report.counts["warc_files"] += 1
            check_warc(path, _relpath(crawl_dir, path), report, records)
    if not report.counts["warc_files"]:
        report.fault("warc", "no WARC files")
    for path in _segments(crawl_dir / "text", "*.jsonl.gz", opened):
        report.counts["text_files"] += 1
        check_text_rows(path, _relpath(crawl_dir, path), report, records)
    for path in sorted((crawl_dir / "indexes").glob("*.cdxj")):
        report.counts["index_files"] += 1
        check_cdxj(path, _relpath(crawl_dir, path), report, records)
    check_revisits(crawl_dir, report, records)
    response_ids = {info.record_id for info in records.values() if info.warc_type == "response"}
    for path in _segments(crawl_dir / "wet", "*.warc.wet.gz", opened):
        report.counts["wet_files"] += 1
        check_wet(path, _relpath(crawl_dir, path), report, response_ids)
    for path in sorted(crawl_dir.glob("*.wacz")):  # its WARCs are the crawl's: hashed, not read again
        report.counts["wacz_files"] += 1
        check_wacz(path, _relpath(crawl_dir, path), report, listed, records)
    logger.debug("Verified %s: %d faults", crawl_dir, len(report.faults))
    return report
