"""Records per second of our WARC reading against warcio's and FastWARC's, on the same files.

Each reader goes through every record of each file and reads its block to the end:
warcio's ``ArchiveIterator`` (with and without ``check_digests``, as ``warcio check``),
FastWARC's (with and without its block and payload digest checks), our
:class:`~scraper.archive.reader.ArchiveReader` as ``scrapy verify`` runs it (digests
checked) and as ``scrapy reextract`` runs it, and reextract's whole reading
(:func:`scraper.tools.reextract.html_records`: records found, HTML decoded, no extraction).
It also says what each reader saw: the record count, and whether it read the file at all.

    python -m benchmarks.read [FILE_OR_FOLDER ...] [--rounds 3]

Without arguments it reads the WARCs of the newest ``.bench/run-*`` crawl (``python -m
benchmarks.bench --keep --skip-diy --skip-pool --rounds 1`` leaves them), a plain copy of
the first, and the other crawlers' files of pywb's sample archive (``.pywb-venv``).
The median of ``--rounds`` runs is printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from scraper.archive.reader import ArchiveReader
from scraper.tools.reextract import html_records

ROOT = Path(__file__).resolve().parents[1]
BLOCK = 1 << 20  # as our reader's
SAMPLES = ("example.arc.gz", "example.arc", "example-wget-1-14.warc.gz", "example-wpull.warc.gz",
           "iana.warc.gz", "dupes.warc.gz", "example.warc")


def warcio_records(path: Path, check_digests: bool = False) -> int:
    count = 0
    with open(path, "rb") as f:
        for record in ArchiveIterator(f, check_digests=check_digests):
            while record.raw_stream.read(BLOCK):
                pass
            count += 1
    return count


def fastwarc_records(path: Path, check_digests: bool = False) -> int:
    from fastwarc.warc import ArchiveIterator as FastIterator

    count = 0
    for record in FastIterator(str(path), parse_http=False, fsspec_args=False):
        if check_digests:  # the block first: parsing the HTTP head consumes it
            record.verify_block_digest(consume=False)
            record.parse_http()
            record.verify_payload_digest(consume=True)
        else:
            while record.reader.read(BLOCK):
                pass
        count += 1
    return count


def ours_verify(path: Path) -> int:
    reader = ArchiveReader(path, check_digests=True)
    for item in reader:
        reader.finish(item)
    return reader.records


def ours_reextract_reader(path: Path) -> int:
    reader = ArchiveReader(path, arc2warc=True)
    for item in reader:
        reader.finish(item)
    return reader.records


def ours_html_records(path: Path) -> int:
    counts: Counter[str] = Counter()
    for _ in html_records(path, counts):
        pass
    return counts["records"]


READERS: dict[str, Callable[[Path], int]] = {
    "warcio": warcio_records,
    "warcio, digests checked": lambda path: warcio_records(path, check_digests=True),
    "FastWARC": fastwarc_records,
    "FastWARC, digests checked": lambda path: fastwarc_records(path, check_digests=True),
    "ours: verify (digests checked)": ours_verify,
    "ours: reextract's reader": ours_reextract_reader,
    "ours: reextract's reading (+ HTML decoded)": ours_html_records,
}


def default_files(scratch: Path) -> list[Path]:
    runs = sorted((ROOT / ".bench").glob("run-*"), key=lambda p: p.stat().st_mtime)
    files = sorted(runs[-1].glob("crawl/*/warc/*.warc.gz")) if runs else []
    if files:
        plain = scratch / files[0].name.removesuffix(".gz")
        with gzip.open(files[0]) as src, open(plain, "wb") as dst:
            shutil.copyfileobj(src, dst)
        files.append(plain)
    samples = ROOT / ".pywb-venv" / "sample_archive" / "warcs"
    files += [samples / name for name in SAMPLES if (samples / name).is_file()]
    return files


def measure(read: Callable[[Path], int], path: Path, rounds: int) -> tuple[float, int | str]:
    """(median seconds, records seen) of ``read`` on ``path``; records is the error if it failed."""
    times = []
    seen: int | str = 0
    for _ in range(rounds):
        start = time.perf_counter()
        try:
            seen = read(path)
        except Exception as error:  # a reader that cannot read the file is a finding, not a crash
            return 0.0, f"{type(error).__name__}: {str(error)[:60]}"
        times.append(time.perf_counter() - start)
    return statistics.median(times), seen


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.read", description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="WARC/ARC files or folders (default: see above)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-read-") as scratch:
        files = [f for p in args.paths for f in (sorted(p.rglob("*.*arc*")) if p.is_dir() else [p])] \
            or default_files(Path(scratch))
        if not files:
            parser.error("no files: run `python -m benchmarks.bench --keep --skip-diy --skip-pool --rounds 1` first")
        for path in files:
            size = path.stat().st_size
            print(f"\n{path.name} ({size / 1e6:.1f} MB)")
            baseline = None
            for name, read in READERS.items():
                seconds, seen = measure(read, path, args.rounds)
                if isinstance(seen, str):
                    print(f"  {name:44s} cannot read it: {seen}")
                    continue
                rate = seen / seconds if seconds else 0.0
                baseline = baseline or rate
                print(f"  {name:44s} {seen:6d} records {rate:10.0f} records/s {size / 1e6 / seconds:7.1f} MB/s "
                      f"({rate / baseline:4.2f}x warcio)")


if __name__ == "__main__":
    main()
