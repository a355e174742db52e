"""`warcio check` on our WARCs, with its one known disagreement set apart.

warcio 1.8 digests a chunked payload over its chunk framing (webrecorder/warcio#74);
our payload digests follow WARC 1.1 and cover the de-chunked body. Every other check
of warcio's must pass.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from scraper.archive.warc import is_chunked


def chunked_records(files: list[Path]) -> set[str]:
    """Record ids of the HTTP records whose body is chunked."""
    ids = set()
    for path in files:
        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
                if record.http_headers is not None and is_chunked(record.http_headers):
                    ids.add(record.rec_headers.get_header("WARC-Record-ID"))
    return ids


def warcio_check_faults(files: list[Path]) -> list[str]:
    """What `warcio check -v` finds wrong, less its framing digests of chunked records."""
    warcio = str(Path(sys.executable).with_name("warcio"))
    done = subprocess.run([warcio, "check", "-v", *map(str, files)], capture_output=True, text=True, timeout=300)
    chunked = chunked_records(files)
    faults, record_id = [], ""
    for line in done.stdout.splitlines():
        if "WARC-Record-ID" in line:
            record_id = line.split("WARC-Record-ID", 1)[1].split()[0]
        elif "failed" in line and not (line.strip().startswith("payload digest failed") and record_id in chunked):
            faults.append(f"{record_id}: {line.strip()}")
    if done.returncode not in (0, 1) or (done.returncode == 1 and not chunked and not faults):
        faults.append(f"warcio check exited {done.returncode}: {done.stderr}")
    return faults
