"""S3 storage against a real S3-compatible server (SeaweedFS ``weed mini``), no mocks.

The stories: a crawl to ``s3://`` stores what a local archive holds, manifest last; the
storage goes away mid-crawl and nothing is lost (spool, non-zero exit, ``scrapy upload``);
bad credentials or a missing bucket stop the crawl before it fetches anything. Rare error
paths (a stored object that changed, error codes) use botocore's Stubber.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from scrapy.settings import Settings
from warcio.archiveiterator import ArchiveIterator

from sample_site.command import crawl_command, scrapy_command
from scraper.archive.manifest import CompletedFile, completed_file
from scraper.commands.crawl import RedactSecrets, archive_failures
from scraper.storage.s3 import (
    S3ClientOptions,
    S3Destination,
    S3Storage,
    S3StorageError,
    SpoolCrawl,
    SpoolFileChanged,
    SpoolUploader,
    UploadPolicy,
    VerificationError,
    expected_checksum,
    expected_etag,
    verify_stored,
)
from tests.support.crawl import ROOT, TEST_SETTINGS
from tests.support.s3server import WeedServer

MiB = 1024 * 1024
PREFIX = "crawls"
PROJECT_SETTINGS = Settings()
PROJECT_SETTINGS.setmodule("scraper.settings", priority="project")

# --- a tiny news site whose late pages wait for the test --------------------------------

WORDS = (
    "harbour council minister river budget election school hospital railway bridge weather "
    "farmers court museum festival energy housing police teachers station market report"
).split()


def article_html(title: str, seed: int, links: tuple[str, ...] = ()) -> bytes:
    words = [WORDS[(seed * 7919 + i * i * 31 + i) % len(WORDS)] for i in range(900)]
    paragraphs = "".join(f"<p>{' '.join(words[i : i + 60]).capitalize()}.</p>" for i in range(0, 900, 60))
    nav = "".join(f'<li><a href="{link}">{link}</a></li>' for link in links)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="og:type" content="article"></head><body><article><h1>{title}</h1>{paragraphs}'
        f"</article><ul>{nav}</ul></body></html>"
    ).encode()


class GatedSite:
    """``/`` links to ``/news/1..4`` (served at once) and ``/late/1..3`` (held until ``gate`` opens)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.gate = threading.Event()
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with site._lock:
                    site.requests.append(self.path)
                if self.path == "/":
                    links = tuple(f"/news/{n}" for n in range(1, 5)) + tuple(f"/late/{n}" for n in range(1, 4))
                    body = article_html("Front page", 0, links)
                elif re.fullmatch(r"/(news|late)/\d", self.path):
                    if self.path.startswith("/late/"):
                        site.gate.wait(60)
                    body = article_html(f"Story {self.path}", hash(self.path) % 1000)
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> str:
        self._thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[tuple[GatedSite, str]]:
    gated = GatedSite()
    base = gated.start()
    yield gated, base
    gated.stop()


# --- running crawls as a user does --------------------------------------------------


def site_crawl_command(base: str, crawl_id: str, settings: dict[str, str]) -> list[str]:
    """Crawl the gated site from its front page, one link deep."""
    all_settings = {
        **TEST_SETTINGS,
        "ARCHIVE_CRAWL_ID": crawl_id,
        "ARCHIVE_WARC_MAX_SIZE": "2000",  # a new WARC (and text) segment for every page
        **settings,
    }
    return crawl_command({"urls": f"{base}/", "follow": "1"}, all_settings)


def s3_settings(weed: WeedServer, spool: Path, **more: str) -> dict[str, str]:
    return {
        "ARCHIVE_URI": f"s3://{weed.bucket}/{PREFIX}",
        "ARCHIVE_SPOOL_DIR": str(spool),
        "AWS_ENDPOINT_URL": weed.endpoint_url,
        "AWS_REGION_NAME": "us-east-1",
        **more,
    }


def run(command: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def process_env(weed: WeedServer, *, credentials: bool = True) -> dict[str, str]:
    env = weed.environment() if credentials else {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = str(ROOT)
    env["AWS_MAX_ATTEMPTS"] = "2"  # botocore's own quick retries; the storage retries whole uploads
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull  # no profile of the machine
    return env


def final_stats(log: str) -> dict[str, int]:
    return {name: int(value) for name, value in re.findall(r"'(archive/upload/\w+)': (\d+)", log)}


# --- reading the bucket back ----------------------------------------------------------


def objects(weed: WeedServer, prefix: str) -> dict[str, bytes]:
    client = weed.client()
    listing = client.list_objects_v2(Bucket=weed.bucket, Prefix=prefix).get("Contents", [])
    return {item["Key"]: client.get_object(Bucket=weed.bucket, Key=item["Key"])["Body"].read() for item in listing}


def check_crawl_in_bucket(weed: WeedServer, crawl_id: str, site: GatedSite, base: str) -> dict[str, Any]:
    """Every object is what the manifest lists, byte for byte; the WARCs hold every page fetched."""
    prefix = f"{PREFIX}/{crawl_id}/"
    stored = objects(weed, prefix)
    manifest = json.loads(stored[prefix + "manifest.json"])
    listed = {prefix + entry["path"]: entry for entry in manifest["files"]}
    assert set(stored) == {*listed, prefix + "manifest.json"}
    for key, entry in listed.items():
        assert len(stored[key]) == entry["size"], key
        assert hashlib.sha256(stored[key]).hexdigest() == entry["sha256"], key
    warcs = sorted(key for key in listed if key.startswith(prefix + "warc/"))
    texts = sorted(key for key in listed if key.startswith(prefix + "text/"))
    assert len(warcs) >= 3 and texts
    archived = []
    for key in warcs:
        for record in ArchiveIterator(io.BytesIO(stored[key])):
            if record.rec_type == "response":
                archived.append(record.rec_headers.get_header("WARC-Target-URI"))
                record.content_stream().read()
    assert sorted(archived) == sorted(base + path for path in site.requests)
    rows = [json.loads(line) for key in texts for line in gzip.decompress(stored[key]).splitlines()]
    assert {row["url"] for row in rows} >= {f"{base}/news/{n}" for n in range(1, 5)}
    return manifest


# --- the stories -------------------------------------------------------------------------


def test_crawl_to_s3_stores_the_archive_layout_manifest_last(
    weed: WeedServer, site: tuple[GatedSite, str], tmp_path: Path
) -> None:
    gated, base = site
    gated.gate.set()
    spool = tmp_path / "spool"
    # Credentials as Scrapy settings this time (the environment has none).
    settings = s3_settings(weed, spool, AWS_ACCESS_KEY_ID=weed.access_key, AWS_SECRET_ACCESS_KEY=weed.secret_key)
    done = run(site_crawl_command(base, "complete", settings), process_env(weed, credentials=False))
    log = done.stdout + done.stderr
    assert done.returncode == 0, log

    manifest = check_crawl_in_bucket(weed, "complete", gated, base)
    stats = final_stats(log)
    assert stats["archive/upload/failed"] == 0 and stats["archive/upload/pending"] == 0
    assert stats["archive/upload/files"] == len(manifest["files"]) + 1  # and the manifest
    assert not (spool / "complete").exists()  # uploaded, verified, gone from the spool
    # Credentials appear nowhere: not in the log, the manifest or the WARC records.
    everything = log + json.dumps(manifest) + "".join(
        gzip.decompress(body).decode("latin-1") for key, body in objects(weed, f"{PREFIX}/complete/warc/").items()
    )
    assert weed.secret_key not in everything and weed.access_key not in everything
    assert "AWS_SECRET_ACCESS_KEY': '***'" in log  # Scrapy's "Overridden settings" line, redacted


def test_storage_outage_mid_crawl_loses_nothing(site: tuple[GatedSite, str], tmp_path: Path) -> None:
    gated, base = site
    spool = tmp_path / "spool"
    weed = WeedServer(tmp_path / "weed-data")
    weed.start()
    try:
        settings = s3_settings(weed, spool, ARCHIVE_S3_RETRY_TIMES="1", ARCHIVE_S3_RETRY_BACKOFF_BASE="0.1")
        env = process_env(weed)
        crawl = subprocess.Popen(
            site_crawl_command(base, "outage", settings), cwd=ROOT, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )
        try:
            # The late pages wait for the gate: the crawl cannot end before the outage.
            client = weed.client()
            while not client.list_objects_v2(Bucket=weed.bucket, Prefix=f"{PREFIX}/outage/warc/").get("KeyCount"):
                assert crawl.poll() is None, crawl.communicate()[0]
                threading.Event().wait(0.1)
            weed.stop()
            gated.gate.set()
            log, _ = crawl.communicate(timeout=120)
            (tmp_path / "crawl.log").write_text(log)  # for whoever debugs a failure
        finally:
            if crawl.poll() is None:
                crawl.kill()
                crawl.wait()

        assert crawl.returncode != 0, log
        assert "is NOT complete" in log and "run `scrapy upload`" in log
        stats = final_stats(log)
        assert stats["archive/upload/failed"] > 0 and stats["archive/upload/pending"] > 1
        state = json.loads((spool / "outage" / ".upload-state.json").read_text())
        assert json.loads(state["manifest"])["crawl_id"] == "outage"
        waiting = [relpath for relpath, entry in state["files"].items() if entry["stored"] is None]
        assert waiting and all((spool / "outage" / relpath).is_file() for relpath in waiting)
        assert any(relpath.startswith("warc/") for relpath in waiting)

        weed.start()  # same data folder, same ports
        assert not objects(weed, f"{PREFIX}/outage/manifest.json")  # never published early
        upload = run(scrapy_command("upload", "-s", f"ARCHIVE_SPOOL_DIR={spool}",
                                    "-s", f"AWS_ENDPOINT_URL={weed.endpoint_url}"), env)
        (tmp_path / "upload.log").write_text(upload.stdout + upload.stderr)
        assert upload.returncode == 0, upload.stdout + upload.stderr
        assert "1 crawls completed, 0 still waiting" in upload.stderr
    finally:
        weed.stop()
        weed.start()
    try:
        check_crawl_in_bucket(weed, "outage", gated, base)
        assert not (spool / "outage").exists()
    finally:
        weed.stop()


def test_storage_down_when_the_crawl_starts_costs_no_page(site: tuple[GatedSite, str], tmp_path: Path) -> None:
    """A cron job starting during an S3 outage crawls into the spool, exits non-zero with the
    uploads pending, and `scrapy upload` delivers every page once S3 is back."""
    gated, base = site
    gated.gate.set()
    spool = tmp_path / "spool"
    weed = WeedServer(tmp_path / "weed-data")  # its port chosen, nothing listening yet: connection refused
    env = process_env(weed)
    done = run(site_crawl_command(base, "down-at-start", s3_settings(weed, spool)), env, timeout=180)
    log = done.stdout + done.stderr
    (tmp_path / "crawl.log").write_text(log)
    assert done.returncode != 0, log
    assert "crawling into the spool" in log and "`scrapy upload` delivers them" in log
    assert len(gated.requests) == 9  # robots.txt and every page fetched: the outage stopped nothing
    state = json.loads((spool / "down-at-start" / ".upload-state.json").read_text())
    assert json.loads(state["manifest"])["crawl_id"] == "down-at-start"
    assert all(entry["stored"] is None for entry in state["files"].values())

    weed.start()
    try:
        upload = run(scrapy_command("upload", "-s", f"ARCHIVE_SPOOL_DIR={spool}",
                                    "-s", f"AWS_ENDPOINT_URL={weed.endpoint_url}"), env)
        (tmp_path / "upload.log").write_text(upload.stdout + upload.stderr)
        assert upload.returncode == 0, upload.stdout + upload.stderr
        check_crawl_in_bucket(weed, "down-at-start", gated, base)  # every page fetched is in the bucket
    finally:
        weed.stop()


def test_a_wrong_endpoint_is_told_from_an_outage() -> None:
    """Refused connections and 5xx are outages (crawl into the spool); 4xx are configuration."""
    from botocore.exceptions import ClientError, EndpointConnectionError

    from scraper.storage.s3 import is_outage

    assert is_outage(EndpointConnectionError(endpoint_url="http://127.0.0.1:1", error=ConnectionRefusedError()))
    assert is_outage(ClientError({"Error": {"Code": "ServiceUnavailable"},
                                  "ResponseMetadata": {"HTTPStatusCode": 503}}, "ListObjectsV2"))
    assert not is_outage(ClientError({"Error": {"Code": "InvalidAccessKeyId"},
                                      "ResponseMetadata": {"HTTPStatusCode": 403}}, "ListObjectsV2"))
    assert not is_outage(EndpointConnectionError(endpoint_url="http://no-such-host.example",
                                                 error=OSError("[Errno -2] Name or service not known")))


@pytest.mark.parametrize(
    ("problem", "message"),
    [("bad-credentials", "refused the credentials"), ("missing-bucket", "does not exist")],
)
def test_unusable_bucket_stops_the_crawl_before_fetching(
    weed: WeedServer, site: tuple[GatedSite, str], tmp_path: Path, problem: str, message: str
) -> None:
    gated, base = site
    gated.gate.set()
    env = process_env(weed)
    settings = s3_settings(weed, tmp_path / "spool")
    if problem == "bad-credentials":
        env["AWS_SECRET_ACCESS_KEY"] = "not-the-secret-5ecr3t"
    else:
        settings["ARCHIVE_URI"] = f"s3://no-such-bucket/{PREFIX}"
    done = run(site_crawl_command(base, problem, settings), env)
    log = done.stdout + done.stderr
    assert done.returncode != 0
    assert message in log, log
    assert gated.requests == []  # nothing fetched, not even robots.txt
    assert "not-the-secret-5ecr3t" not in log and weed.secret_key not in log


def test_a_crawl_id_complete_in_the_bucket_is_refused(
    weed: WeedServer, site: tuple[GatedSite, str], tmp_path: Path
) -> None:
    gated, base = site
    gated.gate.set()
    spool = tmp_path / "spool"
    published = json.dumps({"crawl_id": "finished", "files": []}).encode()
    weed.client().put_object(Bucket=weed.bucket, Key=f"{PREFIX}/finished/manifest.json", Body=published)

    done = run(site_crawl_command(base, "finished", s3_settings(weed, spool)), process_env(weed))
    log = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"crawl finished is already complete at s3://{weed.bucket}/{PREFIX}/finished" in log, log
    assert gated.requests == []  # nothing fetched
    assert not (spool / "finished").exists()  # nor a spool folder claimed
    assert objects(weed, f"{PREFIX}/finished/") == {f"{PREFIX}/finished/manifest.json": published}


# --- the storage on its own, against the server ------------------------------------------


def spooled_file(crawl_dir: Path, relpath: str, data: bytes) -> CompletedFile:
    path = crawl_dir / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return completed_file(crawl_dir, path)


def manifest_for(crawl_id: str, files: list[CompletedFile]) -> bytes:
    return json.dumps({"crawl_id": crawl_id, "files": [f.manifest_entry() for f in files]}).encode() + b"\n"


def upload_policy(**changes: Any) -> UploadPolicy:
    """The project's ``ARCHIVE_S3_*`` upload policy (settings.py), with ``changes``."""
    return replace(UploadPolicy.from_settings(PROJECT_SETTINGS), **changes)


def make_storage(
    weed: WeedServer, spool: Path, policy: UploadPolicy, *, secret: str = "", upload_spool_at_start: bool = False
) -> S3Storage:
    options = S3ClientOptions(
        endpoint_url=weed.endpoint_url, region_name="us-east-1",
        access_key_id=weed.access_key, secret_access_key=secret or weed.secret_key,
    )
    uploader = SpoolUploader(options, policy, upload_threads=2)
    return S3Storage(
        S3Destination(weed.bucket, "unit"), spool, uploader, upload_spool_at_start=upload_spool_at_start
    )


def left_in_spool(weed: WeedServer, spool: Path, crawl_id: str, data: bytes) -> CompletedFile:
    """A crawl that ended while the storage was away: its file and manifest wait in the spool."""
    crawl = SpoolCrawl.create(spool, crawl_id, S3Destination(weed.bucket, "unit"), weed.endpoint_url)
    completed = spooled_file(crawl.folder, "warc/a.warc.gz", data)
    crawl.add_file(completed.relpath, completed.size, completed.sha256)
    crawl.set_manifest(manifest_for(crawl_id, [completed]))
    crawl.release()
    return completed


def test_the_next_crawl_first_uploads_what_earlier_crawls_left(weed: WeedServer, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    earlier = left_in_spool(weed, spool, "earlier", b"fetched before the outage")
    storage = make_storage(weed, spool, upload_policy(), upload_spool_at_start=True)
    crawl_dir = storage.open_crawl("next", keep_files_until_published=False)
    completed = spooled_file(crawl_dir, "warc/b.warc.gz", b"fetched now")
    storage.file_completed("next", completed)
    storage.publish_manifest("next", manifest_for("next", [completed]))

    client = weed.client()
    for crawl_id, done in (("earlier", earlier), ("next", completed)):
        body = client.get_object(Bucket=weed.bucket, Key=f"unit/{crawl_id}/{done.relpath}")["Body"].read()
        assert hashlib.sha256(body).hexdigest() == done.sha256
        manifest = client.get_object(Bucket=weed.bucket, Key=f"unit/{crawl_id}/manifest.json")["Body"].read()
        assert json.loads(manifest)["crawl_id"] == crawl_id
    assert list(spool.iterdir()) == []
    assert storage.uploader.counts["failed"] == storage.uploader.counts["pending"] == 0


def test_is_complete_asks_the_bucket_not_the_spool(weed: WeedServer, tmp_path: Path) -> None:
    storage = make_storage(weed, tmp_path / "spool", upload_policy())
    crawl_dir = storage.open_crawl("published", keep_files_until_published=False)
    completed = spooled_file(crawl_dir, "warc/a.warc.gz", b"fetched")
    storage.file_completed("published", completed)
    assert not storage.is_complete("published")
    storage.publish_manifest("published", manifest_for("published", [completed]))

    assert storage.is_complete("published")  # though the spool holds nothing of it any more
    assert not (tmp_path / "spool" / "published").exists()
    assert not storage.is_complete("never-crawled")


def test_upload_with_refused_credentials_keeps_the_spool(
    weed: WeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = tmp_path / "spool"
    left_in_spool(weed, spool, "kept", b"still here")
    uploader = make_storage(weed, spool, upload_policy(), secret="wrong-secret-0123").uploader
    assert uploader.upload_spool(spool) == {"kept": False}
    uploader.close()
    assert "refused the credentials" in caplog.text and "wrong-secret-0123" not in caplog.text
    assert (spool / "kept" / "warc" / "a.warc.gz").read_bytes() == b"still here"
    state = json.loads((spool / "kept" / ".upload-state.json").read_text())
    assert state["manifest"] is not None and state["files"]["warc/a.warc.gz"]["stored"] is None


def test_multipart_upload_is_verified_by_composite_checksum(weed: WeedServer, tmp_path: Path) -> None:
    storage = make_storage(weed, tmp_path / "spool", upload_policy(
        multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, retry_times=0
    ))
    storage.check()
    crawl_dir = storage.open_crawl("multipart", keep_files_until_published=False)
    big = spooled_file(crawl_dir, "warc/big.warc.gz", os.urandom(11 * MiB + 17))
    small = spooled_file(crawl_dir, "text/small.jsonl.gz", b"x" * 1000)
    composite = expected_checksum(big.path, big.sha256, 5 * MiB)
    etag = expected_etag(big.path, 5 * MiB)  # what servers without checksums are checked by
    for completed in (big, small):
        storage.file_completed("multipart", completed)
    manifest = manifest_for("multipart", [big, small])
    storage.publish_manifest("multipart", manifest)

    client = weed.client()
    head = client.head_object(Bucket=weed.bucket, Key="unit/multipart/warc/big.warc.gz", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == composite
    assert head["ChecksumSHA256"].endswith("-3")  # three parts, each checked by the server on receipt
    assert head["ETag"] == f'"{etag}"'
    assert head["ContentType"] == "application/gzip"
    sent = big.size + small.size + len(manifest)
    assert storage.uploader.counts == {"files": 3, "bytes": sent, "retries": 0, "failed": 0, "pending": 0}
    assert not crawl_dir.exists()
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=weed.bucket, Prefix="unit/").get("Contents", [])}
    assert ".write-check" not in " ".join(keys)  # the write check leaves no object


def test_spool_file_that_changed_is_never_published(weed: WeedServer, tmp_path: Path) -> None:
    storage = make_storage(weed, tmp_path / "spool", upload_policy(
        multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, retry_times=1, backoff_base=0.01
    ))
    crawl_dir = storage.open_crawl("changed", keep_files_until_published=False)
    single = spooled_file(crawl_dir, "warc/a.warc.gz", b"a" * 5000)
    multi = spooled_file(crawl_dir, "warc/b.warc.gz", b"b" * (6 * MiB))
    single.path.write_bytes(b"A" * 5000)  # same size, other bytes: a damaged spool
    multi.path.write_bytes(b"B" * (6 * MiB))
    for completed in (single, multi):
        storage.file_completed("changed", completed)
    storage.publish_manifest("changed", manifest_for("changed", [single, multi]))

    assert storage.uploader.counts["failed"] == 2 and storage.uploader.counts["pending"] == 3
    client = weed.client()
    assert client.list_objects_v2(Bucket=weed.bucket, Prefix="unit/changed/manifest.json")["KeyCount"] == 0
    assert single.path.is_file() and multi.path.is_file()
    assert json.loads((crawl_dir / ".upload-state.json").read_text())["manifest"] is not None


def test_a_running_crawl_is_left_alone_and_a_killed_one_never_published(weed: WeedServer, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    running = SpoolCrawl.create(spool, "running", S3Destination(weed.bucket, "unit"), weed.endpoint_url)
    completed = spooled_file(running.folder, "warc/a.warc.gz", b"abc")
    running.add_file(completed.relpath, completed.size, completed.sha256)
    uploader = make_storage(weed, spool, upload_policy()).uploader
    assert uploader.upload_spool(spool) == {}  # its crawl holds the lock
    with pytest.raises(FileExistsError, match="in use"):
        SpoolCrawl.create(spool, "running", S3Destination(weed.bucket, "unit"), weed.endpoint_url)

    running.release()  # the crawl process was killed: no manifest will ever come
    assert uploader.upload_spool(spool) == {"running": False}
    uploader.close()
    state = json.loads((running.folder / ".upload-state.json").read_text())
    assert state["files"]["warc/a.warc.gz"]["stored"]  # its complete file is safe in the bucket
    client = weed.client()
    assert client.list_objects_v2(Bucket=weed.bucket, Prefix="unit/running/manifest.json")["KeyCount"] == 0


# --- rare error paths, with botocore's Stubber ----------------------------------------------


@pytest.fixture
def stubbed() -> Iterator[tuple[SpoolUploader, Stubber]]:
    options = S3ClientOptions(endpoint_url="http://127.0.0.1:9", region_name="us-east-1",
                              access_key_id="AKIDEXAMPLE", secret_access_key="wJalrXUtnFEMI")
    client = options.make_client()
    uploader = SpoolUploader(options, upload_policy(retry_times=0), upload_threads=1, client=client)
    with Stubber(client) as stubber:
        yield uploader, stubber
    uploader.close()


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        ("NoSuchBucket", 404, "does not exist"),
        ("InvalidAccessKeyId", 403, "refused the credentials"),
        ("SignatureDoesNotMatch", 403, "refused the credentials"),
        ("AccessDenied", 403, "access denied"),
        ("SlowDown", 503, "cannot serve now"),  # an outage (S3Unreachable): the crawl goes on into the spool
    ],
)
def test_an_unusable_bucket_is_explained_without_the_secret(
    stubbed: tuple[SpoolUploader, Stubber], code: str, status: int, message: str
) -> None:
    uploader, stubber = stubbed
    stubber.add_client_error("list_objects_v2", code, "the server says no", status)
    with pytest.raises(S3StorageError, match=message) as raised:
        uploader.check_destination(S3Destination("bucket", "prefix"))
    assert "wJalrXUtnFEMI" not in str(raised.value)


def test_an_object_that_changed_after_upload_blocks_the_manifest(
    stubbed: tuple[SpoolUploader, Stubber], tmp_path: Path
) -> None:
    uploader, stubber = stubbed
    crawl = SpoolCrawl.create(tmp_path, "c1", S3Destination("bucket", "p"), "http://127.0.0.1:9")
    crawl.add_file("warc/a.warc.gz", 10, "00" * 32)
    crawl.set_stored("warc/a.warc.gz", "checksum-when-uploaded")
    crawl.set_manifest(manifest_for("c1", []))
    stubber.add_response(
        "head_object", {"ContentLength": 10, "ChecksumSHA256": "another-checksum"},
        {"Bucket": "bucket", "Key": "p/c1/warc/a.warc.gz", "ChecksumMode": "ENABLED"},
    )
    # No put_object is stubbed: publishing the manifest would fail the test.
    assert uploader.finish(crawl, upload_missing=False) is False
    stubber.assert_no_pending_responses()
    crawl.release()


def test_an_upload_counts_only_when_stored_size_and_checksum_or_etag_match() -> None:
    head = {"ContentLength": 3, "ChecksumSHA256": "c2hh", "ETag": '"abc"'}
    assert verify_stored(head, "k", 3, "c2hh", lambda: "unused") == "c2hh"
    with pytest.raises(VerificationError, match="4 bytes sent"):
        verify_stored(head, "k", 4, "c2hh", lambda: "unused")
    with pytest.raises(VerificationError, match="SHA-256"):
        verify_stored(head, "k", 3, "other", lambda: "unused")
    no_checksum = {"ContentLength": 3, "ETag": '"900150983cd24fb0d6963f7d28e17f72"'}
    assert verify_stored(no_checksum, "k", 3, "x", lambda: "900150983cd24fb0d6963f7d28e17f72").startswith("etag:")
    with pytest.raises(VerificationError, match="ETag"):
        verify_stored(no_checksum, "k", 3, "x", lambda: "0" * 32)


def test_the_expected_checksum_is_s3s_composite_of_the_parts_and_catches_a_changed_file(tmp_path: Path) -> None:
    path = tmp_path / "f"
    data = os.urandom(2 * MiB)  # exactly two parts: no empty third one
    path.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    parts = hashlib.sha256(hashlib.sha256(data[:MiB]).digest() + hashlib.sha256(data[MiB:]).digest()).digest()
    import base64

    assert expected_checksum(path, sha, MiB) == base64.b64encode(parts).decode() + "-2"
    assert expected_checksum(path, sha, None) == base64.b64encode(bytes.fromhex(sha)).decode()
    with pytest.raises(SpoolFileChanged):
        expected_checksum(path, "0" * 64, MiB)


def test_retries_back_off_up_to_a_cap_and_big_files_stay_within_10000_parts() -> None:
    policy = upload_policy(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB, backoff_base=2, backoff_max=10)
    assert [policy.backoff(n) for n in (1, 2, 3, 4)] == [2, 4, 8, 10]
    assert policy.part_size(8 * MiB - 1) is None
    assert policy.part_size(8 * MiB) == 8 * MiB
    assert policy.part_size(200_000 * MiB) == 32 * MiB  # at most 10,000 parts, as boto3 adjusts it


def test_an_s3_uri_gives_bucket_and_prefix_and_an_error_never_shows_its_secret() -> None:
    destination = S3Destination.from_uri("s3://KEY:SECRET@bucket/some/prefix/")
    assert destination == S3Destination("bucket", "some/prefix")
    assert destination.key("crawl", "warc/a.warc.gz") == "some/prefix/crawl/warc/a.warc.gz"
    assert S3Destination("bucket").key("crawl", "manifest.json") == "crawl/manifest.json"
    assert destination.uri("crawl") == "s3://bucket/some/prefix/crawl"
    with pytest.raises(ValueError, match="s3://bucket/prefix") as raised:
        S3Destination.from_uri("file://KEY:SECRET@host/x")
    assert "SECRET" not in str(raised.value)


def test_secrets_are_masked_in_log_lines_and_only_failures_above_zero_fail_the_crawl() -> None:
    record = logging.LogRecord("scrapy.crawler", logging.INFO, __file__, 1, "settings: %s", ("{'K': 's3cr3t'}",), None)
    RedactSecrets(["s3cr3t"]).filter(record)
    assert record.getMessage() == "settings: {'K': '***'}"
    assert archive_failures({"archive/upload/failed": 0, "archive/upload/pending": 2}) == {"archive/upload/pending": 2}
    assert archive_failures({}) == {}


def test_spool_state_file_says_where_the_crawl_goes(tmp_path: Path) -> None:
    crawl = SpoolCrawl.create(tmp_path, "c1", S3Destination("b"), "http://x")
    state = json.loads((crawl.folder / ".upload-state.json").read_text())
    assert state == {"format": 1, "crawl_id": crawl.crawl_id, "destination": "s3://b", "endpoint_url": "http://x",
                     "files": {}, "manifest": None}
    crawl.release()
