"""Reading a crawl's output back as its users do: WARC records with warcio, text rows as JSON lines."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from tests.support.textrow_schema import assert_valid_text_rows


def records(paths: Iterable[Path], rec_type: str | None = None, **options: Any) -> Iterator[ArcWarcRecord]:
    """Every record of the WARC files, in order (only ``rec_type`` records if given).

    ``options`` go to warcio's ``ArchiveIterator``. Read a record's content before asking
    for the next: the file moves on.
    """
    for path in paths:
        with open(path, "rb") as f:
            for record in ArchiveIterator(f, **options):
                if rec_type is None or record.rec_type == rec_type:
                    yield record


def record_at(path: Path, offset: int) -> tuple[str, dict[str, str]]:
    """(type, WARC headers) of the record starting at ``offset``: where a text row or index line points."""
    with open(path, "rb") as f:
        f.seek(offset)
        record = next(iter(ArchiveIterator(f)))
        return record.rec_type, dict(record.rec_headers.headers)


def read_text_rows(folder: Path) -> list[dict[str, Any]]:
    """The rows of every ``text/*.jsonl.gz`` segment under ``folder``, in segment order."""
    rows: list[dict[str, Any]] = []
    for path in sorted((folder / "text").glob("*.jsonl.gz")):
        rows += read_jsonl_gz(path)
    assert_valid_text_rows(rows)  # every row a test reads back meets the published schema
    return rows


def read_jsonl_gz(path: Path) -> list[dict[str, Any]]:
    """The rows of one gzip JSON-lines file."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def assert_rows_point_at_responses(rows: list[dict[str, Any]], warc_dir: Path) -> None:
    """Each row's ``warc_filename``/``warc_offset`` is its response record: same id, URL and payload digest."""
    assert rows, "no rows: nothing would be checked"
    for row in rows:
        rec_type, headers = record_at(warc_dir / row["warc_filename"], row["warc_offset"])
        assert rec_type == "response", row["url"]
        assert headers["WARC-Record-ID"] == row["warc_record_id"], row["url"]
        assert headers["WARC-Target-URI"] == row["url"]
        assert headers["WARC-Payload-Digest"] == row["payload_digest"], row["url"]
