"""Upload throughput to a local S3 server: the archive's verified upload against plain boto3.

Builds a WARC-like file (gzip members of WARC response records with HTML bodies, ~1 GB by
default) in a temporary folder, starts SeaweedFS ``weed mini`` on loopback as the tests do,
and times, for the same file:

* ours: :func:`scraper.storage.s3.upload_verified` with the default ``ARCHIVE_S3_*`` policy, the
  call the S3 storage makes for every file (SHA-256 checksums sent with every part, the
  composite checksum computed locally while the upload runs, HeadObject to verify);
* plain ``upload_file`` with boto3's default TransferConfig (8 MiB parts, 10 threads);
* plain ``upload_file`` with our TransferConfig, to tell part size from verification cost.

    python -m benchmarks.s3_upload [--size-mb 1024] [--rounds 2] [--chunksize-mb 64] [--concurrency 8]

It prints MB/s (10^6 bytes a second) of each, best and median of the rounds (interleaved,
so a busy moment of the machine hits every kind), and the ratios. Not a test.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script rather than with -m
    sys.path.insert(0, str(ROOT))

from scraper.settings import (  # noqa: E402
    ARCHIVE_S3_MAX_CONCURRENCY,
    ARCHIVE_S3_MULTIPART_CHUNKSIZE,
    ARCHIVE_S3_MULTIPART_THRESHOLD,
    ARCHIVE_S3_RETRY_BACKOFF_BASE,
    ARCHIVE_S3_RETRY_BACKOFF_MAX,
    ARCHIVE_S3_RETRY_TIMES,
)
from scraper.storage.s3 import MiB, S3ClientOptions, UploadPolicy, upload_verified  # noqa: E402
from tests.support.s3server import WeedServer  # noqa: E402

POOL_RECORDS = 4000  # distinct records; the file repeats them in random order


def _words(rng: random.Random) -> list[str]:
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    weights = [13, 9, 8, 8, 7, 7, 6, 6, 4, 4, 3, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1]
    return ["".join(rng.choices(letters, weights, k=rng.randint(2, 10))) for _ in range(20_000)]


def warc_record(rng: random.Random, vocabulary: list[str], number: int) -> bytes:
    """One gzip member: a WARC/1.1 response record with an HTTP response and an HTML article."""
    paragraphs = "".join(f"<p>{' '.join(rng.choices(vocabulary, k=rng.randint(40, 120)))}.</p>\n" for _ in range(30))
    html = (
        f"<!DOCTYPE html><html><head><title>Story {number}</title></head><body><nav>"
        + "".join(f'<a href="/news/{rng.randint(1, 10**6)}">{rng.choice(vocabulary)}</a> ' for _ in range(60))
        + f"</nav><article>{paragraphs}</article></body></html>"
    ).encode()
    http = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        + f"Content-Length: {len(html)}\r\n\r\n".encode()
        + html
    )
    head = (
        "WARC/1.1\r\nWARC-Type: response\r\n"
        f"WARC-Record-ID: <urn:uuid:{uuid.UUID(int=rng.getrandbits(128))}>\r\n"
        f"WARC-Date: 2026-01-01T00:00:00Z\r\nWARC-Target-URI: https://news.example/story/{number}\r\n"
        f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n"
    ).encode()
    return gzip.compress(head + http + b"\r\n\r\n", compresslevel=6)


def build_warc(path: Path, size: int, seed: int = 1) -> str:
    """Write ~``size`` bytes of WARC-like data to ``path``; return its SHA-256."""
    rng = random.Random(seed)
    vocabulary = _words(rng)
    pool = [warc_record(rng, vocabulary, n) for n in range(POOL_RECORDS)]
    digest = hashlib.sha256()
    written = 0
    with open(path, "wb") as f:
        while written < size:
            batch = b"".join(rng.choices(pool, k=256))
            f.write(batch)
            digest.update(batch)
            written += len(batch)
    return digest.hexdigest()


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size-mb", type=int, default=1024, help="size of the WARC file in MiB (default 1024)")
    parser.add_argument("--rounds", type=int, default=2, help="uploads of each kind; the best is printed")
    parser.add_argument("--chunksize-mb", type=int, default=ARCHIVE_S3_MULTIPART_CHUNKSIZE // MiB,
                        help="ARCHIVE_S3_MULTIPART_CHUNKSIZE in MiB")
    parser.add_argument("--concurrency", type=int, default=ARCHIVE_S3_MAX_CONCURRENCY,
                        help="ARCHIVE_S3_MAX_CONCURRENCY")
    parser.add_argument("--workdir", type=Path, help="folder for the file and the server (default: a temp dir)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="s3-upload-bench-", dir=args.workdir) as work:
        workdir = Path(work)
        path = workdir / "bench.warc.gz"
        print(f"Building a {args.size_mb} MiB WARC-like file in {workdir} ...", flush=True)
        sha256 = build_warc(path, args.size_mb * MiB)
        size = path.stat().st_size
        policy = UploadPolicy(
            multipart_threshold=ARCHIVE_S3_MULTIPART_THRESHOLD, multipart_chunksize=args.chunksize_mb * MiB,
            max_concurrency=args.concurrency, retry_times=ARCHIVE_S3_RETRY_TIMES,
            backoff_base=ARCHIVE_S3_RETRY_BACKOFF_BASE, backoff_max=ARCHIVE_S3_RETRY_BACKOFF_MAX,
        )
        with WeedServer(workdir / "weed-data") as weed:
            options = S3ClientOptions(
                endpoint_url=weed.endpoint_url, region_name="us-east-1", access_key_id=weed.access_key,
                secret_access_key=weed.secret_key, max_pool_connections=args.concurrency + 2,
            )
            ours_client = options.make_client()
            plain_client = weed.client()  # boto3 defaults, as a user would write it
            bucket = weed.bucket

            def ours(key: str) -> object:
                return upload_verified(ours_client, bucket, key, path, size, sha256, policy)

            def plain(key: str) -> object:
                return plain_client.upload_file(str(path), bucket, key)

            def plain_same_parts(key: str) -> object:
                return plain_client.upload_file(str(path), bucket, key, Config=policy.transfer_config())

            kinds: dict[str, Callable[[str], object]] = {
                "ours (upload + verify)": ours,
                "plain upload_file (boto3 defaults)": plain,
                f"plain upload_file ({args.chunksize_mb} MiB parts, {args.concurrency} threads)": plain_same_parts,
            }
            timings: dict[str, list[float]] = {name: [] for name in kinds}
            for round_number in range(args.rounds):
                for name, upload in kinds.items():  # interleaved, so a slow moment hits every kind
                    key = f"bench/{round_number}/{abs(hash(name))}.warc.gz"
                    seconds = timed(partial(upload, key))
                    plain_client.delete_object(Bucket=bucket, Key=key)
                    timings[name].append(seconds)
                    print(f"  round {round_number + 1}: {name}: {seconds:.2f} s", flush=True)

    print(f"\nFile: {size / 1e6:.0f} MB of gzip WARC records; server: SeaweedFS weed mini on 127.0.0.1")
    print(f"Load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (the server shares them)")
    width = max(len(name) for name in timings)
    print(f"  {'':<{width}}  {'best':>12}  {'median':>12}")
    best = {name: size / 1e6 / min(seconds) for name, seconds in timings.items()}
    median = {name: size / 1e6 / statistics.median(seconds) for name, seconds in timings.items()}
    for name in timings:
        print(f"  {name:<{width}}  {best[name]:7.1f} MB/s  {median[name]:7.1f} MB/s")
    first = next(iter(timings))
    for name in list(timings)[1:]:
        print(f"  ours / {name}: {best[first] / best[name]:.2f} (best), {median[first] / median[name]:.2f} (median)")


if __name__ == "__main__":
    main()
