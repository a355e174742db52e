"""S3-compatible storage: the crawl writes into a local spool, finished files go up while it runs.

Each file is uploaded in a thread as soon as it is complete, verified (size and SHA-256
checksum) and only then removed from the spool; ``manifest.json`` goes up last, once every
file of the crawl is in the bucket. What cannot be uploaded stays in the spool with a small
state file, so ``scrapy upload`` (or the next crawl) can finish the crawl later. It knows
nothing of WARC.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import mimetypes
import os
import threading
import time
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from scraper.archive.manifest import MANIFEST_NAME
from scraper.files import LockHeld, take_lock, write_atomically
from scraper.storage.base import ArchiveUri

if TYPE_CHECKING:
    from boto3.s3.transfer import TransferConfig

    from scraper.archive.manifest import CompletedFile
    from scraper.component import Crawler, Settings, Stats

__all__ = [
    "S3ClientOptions",
    "S3Destination",
    "S3Storage",
    "S3StorageError",
    "SpoolCrawl",
    "SpoolFileChanged",
    "SpoolUploader",
    "UploadPolicy",
    "VerificationError",
    "default_spool_dir",
    "expected_checksum",
    "expected_etag",
    "quiet_aws_debug_logs",
    "upload_verified",
    "verify_stored",
]

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: Boto3 clients have no useful static type here (no stubs installed).
S3Client = Any

MiB = 1024 * 1024
STATE_NAME = ".upload-state.json"
LOCK_NAME = ".lock"
STATE_FORMAT = 1
#: Stats kept under ``archive/upload/``.
UPLOAD_STATS = ("files", "bytes", "retries", "failed", "pending")
#: Seconds to wait for a TCP connection / for an answer from the S3 endpoint.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
HASH_BLOCK = 8 * MiB


class S3StorageError(RuntimeError):
    """The bucket cannot be used (missing, credentials refused, unreachable)."""


class S3Unreachable(S3StorageError):
    """S3 did not answer, or answered that it cannot serve now (5xx): a passing outage, not a
    wrong configuration. The crawl goes on into the spool; `scrapy upload` delivers it later."""


#: S3 error codes that say "not now" (a 5xx), as opposed to "never" (credentials, bucket).
OUTAGE_CODES = frozenset({"ServiceUnavailable", "SlowDown", "InternalError", "RequestTimeout", "503", "500"})


def is_outage(error: BaseException) -> bool:
    """Whether a botocore error is a passing outage: the endpoint refused the connection or did
    not answer in time, or answered 5xx. A host name that does not resolve is a configuration
    error (a typo does not heal), and so is every 4xx."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return status >= 500 or str(error.response.get("Error", {}).get("Code", "")) in OUTAGE_CODES
    if isinstance(error, (ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)):
        return True
    if isinstance(error, EndpointConnectionError):
        cause = error.kwargs.get("error")
        text = f"{cause!r} {error}"
        return not any(word in text for word in ("NameResolution", "gaierror", "Name or service not known",
                                                 "nodename nor servname", "Temporary failure in name resolution"))
    return False


class VerificationError(S3StorageError):
    """A stored object does not match the local file (size or checksum): upload again."""


class SpoolFileChanged(S3StorageError):
    """A spool file no longer matches the SHA-256 recorded when it was written: never upload it."""


def default_spool_dir() -> Path:
    """``$XDG_CACHE_HOME/news-archiver/spool``, else ``~/.cache/news-archiver/spool``."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "news-archiver" / "spool"


def spool_dir_from_settings(settings: Settings) -> Path:
    value = settings.get("ARCHIVE_SPOOL_DIR") or ""
    return Path(value).expanduser().resolve() if value else default_spool_dir()


def quiet_aws_debug_logs() -> None:
    """Keep botocore's DEBUG lines out of crawl logs: they print request headers, and the
    ``Authorization`` header names the access key id. Raises those loggers to INFO at least."""
    for name in ("botocore", "boto3", "s3transfer", "urllib3"):
        aws_logger = logging.getLogger(name)
        if aws_logger.getEffectiveLevel() < logging.INFO:
            aws_logger.setLevel(logging.INFO)


# -- where objects go --------------------------------------------------------------


@dataclass(frozen=True)
class S3Destination:
    """A bucket and a key prefix (no leading or trailing slash; may be empty)."""

    bucket: str
    prefix: str = ""

    @classmethod
    def from_uri(cls, uri: ArchiveUri | str) -> S3Destination:
        parsed = uri if isinstance(uri, ArchiveUri) else ArchiveUri.parse(uri)
        if parsed.scheme != "s3" or not parsed.host:
            raise ValueError(f"not an s3://bucket/prefix URI: {parsed.public()!r}")
        return cls(parsed.host, parsed.path)

    def key(self, crawl_id: str, relpath: str) -> str:
        return "/".join(part for part in (self.prefix, crawl_id, relpath) if part)

    def uri(self, crawl_id: str = "") -> str:
        path = "/".join(part for part in (self.prefix, crawl_id) if part)
        return f"s3://{self.bucket}/{path}" if path else f"s3://{self.bucket}"


def _verify_option(value: Any) -> bool | str | None:
    """``AWS_VERIFY``: unset, a boolean, or the path of a CA bundle."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value)
    if text.lower() in ("0", "false", "no", "off"):
        return False
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    return text


@dataclass(frozen=True)
class S3ClientOptions:
    """How to build the boto3 client. Unset values are found the standard boto3 way
    (``AWS_*`` environment variables, ``AWS_PROFILE``, ``~/.aws/config``)."""

    endpoint_url: str | None = None
    region_name: str | None = None
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    use_ssl: bool | None = None
    verify: bool | str | None = None
    max_pool_connections: int = 10

    @classmethod
    def from_settings(cls, settings: Settings, uri: ArchiveUri | str = "") -> S3ClientOptions:
        """Scrapy's own ``AWS_*`` setting names; credentials in the URI
        (``s3://key:secret@bucket/...``) win, as in Scrapy's feed storage."""
        parsed = uri if isinstance(uri, ArchiveUri) else ArchiveUri.parse(uri)
        uri_key, uri_secret = parsed.username, parsed.password
        use_ssl = settings.get("AWS_USE_SSL")
        return cls(
            endpoint_url=settings.get("AWS_ENDPOINT_URL") or None,
            region_name=settings.get("AWS_REGION_NAME") or None,
            access_key_id=uri_key or settings.get("AWS_ACCESS_KEY_ID") or None,
            secret_access_key=uri_secret or settings.get("AWS_SECRET_ACCESS_KEY") or None,
            session_token=settings.get("AWS_SESSION_TOKEN") or None,
            use_ssl=None if use_ssl in (None, "") else settings.getbool("AWS_USE_SSL"),
            verify=_verify_option(settings.get("AWS_VERIFY")),
            max_pool_connections=settings.getint("AWS_MAX_POOL_CONNECTIONS") or 10,
        )

    def make_client(self) -> S3Client:
        try:
            import boto3.session
            from botocore.config import Config
        except ImportError:
            raise S3StorageError("s3:// archives need boto3: pip install boto3") from None
        kwargs: dict[str, Any] = {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region_name,
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "aws_session_token": self.session_token,
            "verify": self.verify,
            "config": Config(
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=READ_TIMEOUT,
                max_pool_connections=self.max_pool_connections,
                # Quick retries of one request inside botocore (count from AWS_MAX_ATTEMPTS,
                # default 3); the storage adds its own slower retries around whole uploads.
                retries={"mode": "standard"},
            ),
        }
        if self.use_ssl is not None:
            kwargs["use_ssl"] = self.use_ssl
        return boto3.session.Session().client("s3", **kwargs)


@dataclass(frozen=True)
class UploadPolicy:
    """Multipart and retry tuning (``ARCHIVE_S3_*`` settings: defaults and units in scraper/settings.py)."""

    multipart_threshold: int
    multipart_chunksize: int
    max_concurrency: int
    retry_times: int
    backoff_base: float
    backoff_max: float

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadPolicy:
        return cls(
            multipart_threshold=settings.getint("ARCHIVE_S3_MULTIPART_THRESHOLD"),
            multipart_chunksize=settings.getint("ARCHIVE_S3_MULTIPART_CHUNKSIZE"),
            max_concurrency=settings.getint("ARCHIVE_S3_MAX_CONCURRENCY"),
            retry_times=settings.getint("ARCHIVE_S3_RETRY_TIMES"),
            backoff_base=settings.getfloat("ARCHIVE_S3_RETRY_BACKOFF_BASE"),
            backoff_max=settings.getfloat("ARCHIVE_S3_RETRY_BACKOFF_MAX"),
        )

    def transfer_config(self) -> TransferConfig:
        from boto3.s3.transfer import TransferConfig

        return TransferConfig(
            multipart_threshold=self.multipart_threshold,
            multipart_chunksize=self.multipart_chunksize,
            max_concurrency=self.max_concurrency,
            # The classic transfer manager: its part boundaries are the ones part_size() predicts.
            preferred_transfer_client="classic",
        )

    def part_size(self, size: int) -> int | None:
        """The part size boto3 will use for a file of ``size`` bytes; None for a single PUT."""
        from s3transfer.utils import ChunksizeAdjuster

        if size < self.multipart_threshold:
            return None
        return int(ChunksizeAdjuster().adjust_chunksize(self.multipart_chunksize, size))

    def backoff(self, attempt: int) -> float:
        """Seconds before retry number ``attempt`` (1, 2, ...): doubled each time, capped."""
        return float(min(self.backoff_base * 2 ** (attempt - 1), self.backoff_max))


# -- verified uploads ----------------------------------------------------------------


def content_type(name: str) -> str:
    guessed, encoding = mimetypes.guess_type(name)
    if encoding == "gzip":
        return "application/gzip"  # not Content-Encoding: clients must get the .gz bytes as stored
    return guessed or "application/octet-stream"


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def expected_checksum(path: Path, sha256: str, part_size: int | None) -> str:
    """The ``ChecksumSHA256`` S3 reports for ``path`` uploaded in parts of ``part_size``.

    One PUT: the SHA-256 of the object, which is the manifest's ``sha256`` (no need to read
    the file). Multipart: S3 (and SeaweedFS) keep a composite checksum, the SHA-256 of the
    parts' SHA-256 digests followed by ``-<parts>``, so the file is read once; its whole
    SHA-256 is checked against ``sha256`` on the way, so the composite vouches for the
    manifest's digest too.
    """
    if part_size is None:
        return _b64(bytes.fromhex(sha256))
    whole = hashlib.sha256()
    part_digests: list[bytes] = []
    with open(path, "rb") as f:
        while True:
            part = hashlib.sha256()
            read = 0
            while read < part_size:
                block = f.read(min(HASH_BLOCK, part_size - read))
                if not block:
                    break
                part.update(block)
                whole.update(block)
                read += len(block)
            if read == 0:
                break
            part_digests.append(part.digest())
            if read < part_size:
                break
    if whole.hexdigest() != sha256:
        raise SpoolFileChanged(f"{path} no longer matches the SHA-256 recorded when it was written")
    return f"{_b64(hashlib.sha256(b''.join(part_digests)).digest())}-{len(part_digests)}"


def _md5(data: bytes = b"") -> Any:
    return hashlib.md5(data, usedforsecurity=False)  # the ETag's algorithm, not for security


def expected_etag(path: Path, part_size: int | None) -> str:
    """The ETag of servers that keep no checksums: MD5, or MD5 of the parts' MD5s + ``-<parts>``."""
    with open(path, "rb") as f:
        if part_size is None:
            md5 = _md5()
            for block in iter(lambda: f.read(HASH_BLOCK), b""):
                md5.update(block)
            return md5.hexdigest()
        part_digests = [_md5(block).digest() for block in iter(lambda: f.read(part_size), b"")]
    return f"{_md5(b''.join(part_digests)).hexdigest()}-{len(part_digests)}"


def same_checksum(stored: str, expected: str) -> bool:
    """Equal digests; the ``-<parts>`` suffix of a composite checksum is compared when both have one."""
    stored_digest, _, stored_parts = stored.partition("-")
    expected_digest, _, expected_parts = expected.partition("-")
    parts_agree = stored_parts == expected_parts or not (stored_parts and expected_parts)
    return stored_digest == expected_digest and parts_agree


def verify_stored(head: dict[str, Any], key: str, size: int, checksum: str, etag: Callable[[], str]) -> str:
    """Compare a HeadObject answer with the local file; return what proves it (for the state file).

    Size and ``ChecksumSHA256`` must match. A server that keeps no checksums is checked by
    its ETag against the MD5 computed locally (``etag`` is only called then).
    """
    stored_size = head.get("ContentLength")
    if stored_size != size:
        raise VerificationError(f"{key}: {stored_size} bytes stored, {size} bytes sent")
    stored = head.get("ChecksumSHA256")
    if stored is not None:
        if not same_checksum(str(stored), checksum):
            raise VerificationError(f"{key}: stored SHA-256 checksum {stored} is not the local {checksum}")
        return str(stored)
    stored_etag = str(head.get("ETag", "")).strip('"')
    local_etag = etag()
    if stored_etag != local_etag:
        raise VerificationError(
            f"{key}: the server keeps no SHA-256 checksum, and its ETag {stored_etag!r} "
            f"is not the local MD5 {local_etag!r}"
        )
    return f"etag:{stored_etag}"


def stored_proof(head: dict[str, Any]) -> str:
    """What :func:`verify_stored` recorded for an object, read again from a HeadObject answer."""
    checksum = head.get("ChecksumSHA256")
    return str(checksum) if checksum is not None else f"etag:{str(head.get('ETag', '')).strip(chr(34))}"


def upload_verified(
    client: S3Client, bucket: str, key: str, path: Path, size: int, sha256: str, policy: UploadPolicy
) -> str:
    """Upload ``path`` to ``bucket``/``key`` and check what S3 stored; return the proof.

    boto3 sends SHA-256 checksums (of the object, or of each part) that the server checks
    on receipt; a HeadObject then compares size and checksum with the local file. The object
    appears under ``key`` only when complete: a PUT and a CompleteMultipartUpload are atomic
    in S3 (and SeaweedFS), and boto3 aborts a failed multipart upload.
    """
    part_size = policy.part_size(size)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-hash") as hasher:
        # The composite checksum needs a read of the file: done while the upload runs.
        expected = hasher.submit(expected_checksum, path, sha256, part_size)
        client.upload_file(
            str(path),
            bucket,
            key,
            ExtraArgs={"ChecksumAlgorithm": "SHA256", "ContentType": content_type(path.name)},
            Config=policy.transfer_config(),
        )
        checksum = expected.result()
    head = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    return verify_stored(head, key, size, checksum, lambda: expected_etag(path, part_size))


def put_verified(client: S3Client, bucket: str, key: str, data: bytes) -> str:
    """PUT a small object (the manifest) with its SHA-256, then check what S3 stored."""
    digest = hashlib.sha256(data).digest()
    client.put_object(
        Bucket=bucket, Key=key, Body=data, ChecksumSHA256=_b64(digest), ContentType=content_type(key)
    )
    head = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    return verify_stored(head, key, len(data), _b64(digest), lambda: _md5(data).hexdigest())


# -- the spool -----------------------------------------------------------------------


@dataclass
class SpoolEntry:
    """One file of a crawl: as the manifest lists it, and the proof once it is stored."""

    size: int
    sha256: str
    stored: str | None = None


class SpoolCrawl:
    """One crawl's folder in the spool, its pending-state file, and a lock on it.

    The state file (``.upload-state.json``) says where the crawl goes, which files it has
    (size, SHA-256, whether stored) and, once the crawl has ended, the manifest waiting to
    be published. The lock (``flock`` on ``.lock``) keeps ``scrapy upload`` and other crawls
    away from a crawl that is still running.
    """

    def __init__(
        self,
        folder: Path,
        crawl_id: str,
        destination: S3Destination,
        endpoint_url: str,
        lock_fd: int,
        files: dict[str, SpoolEntry] | None = None,
        manifest: bytes | None = None,
    ):
        self.folder = folder
        self.crawl_id = crawl_id
        self.destination = destination
        self.endpoint_url = endpoint_url
        self.files = files if files is not None else {}
        self.manifest = manifest
        self._lock_fd: int | None = lock_fd
        self._mutex = threading.Lock()

    @staticmethod
    def _lock(folder: Path) -> int | None:
        try:
            return take_lock(folder / LOCK_NAME)
        except LockHeld:
            return None

    @classmethod
    def create(cls, spool_dir: Path, crawl_id: str, destination: S3Destination, endpoint_url: str) -> SpoolCrawl:
        """Claim the spool folder of a crawl: a new one, or one whose earlier run stopped before
        its end (resumed); one that ended and waits for upload is refused (`scrapy upload`)."""
        folder = spool_dir / crawl_id
        folder.mkdir(parents=True, exist_ok=True)
        fd = cls._lock(folder)
        if fd is None:
            raise FileExistsError(f"crawl {crawl_id} is in use by another process (spool {folder})")
        if (folder / STATE_NAME).exists():
            os.close(fd)
            earlier = cls.open(folder)
            if earlier is not None and earlier.manifest is None and earlier.destination == destination:
                logger.info("Resuming crawl %s from its spool folder %s", crawl_id, folder)
                return earlier  # a run that was stopped or killed before its end: go on with it
            if earlier is not None:
                earlier.release()
            raise FileExistsError(
                f"crawl {crawl_id} already has files waiting in the spool at {folder}: "
                "run `scrapy upload` or choose another ARCHIVE_CRAWL_ID"
            )
        crawl = cls(folder, crawl_id, destination, endpoint_url, fd)
        crawl.save()
        return crawl

    @classmethod
    def open(cls, folder: Path) -> SpoolCrawl | None:
        """A crawl left in the spool, locked for this process; None if in use or not a crawl."""
        if not (folder / STATE_NAME).is_file():
            return None
        fd = cls._lock(folder)
        if fd is None:
            return None
        try:
            state = json.loads((folder / STATE_NAME).read_text("utf-8"))
            files = {relpath: SpoolEntry(**entry) for relpath, entry in state["files"].items()}
            manifest = state["manifest"].encode("utf-8") if state["manifest"] is not None else None
            return cls(
                folder, state["crawl_id"], S3Destination.from_uri(state["destination"]), state["endpoint_url"], fd,
                files, manifest,
            )
        except FileNotFoundError:  # finished by its owner between the check and the lock
            os.close(fd)
            return None
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            os.close(fd)
            raise S3StorageError(f"{folder / STATE_NAME} is not a readable spool state file: {error!r}") from None

    def save(self) -> None:
        state = {
            "format": STATE_FORMAT,
            "crawl_id": self.crawl_id,
            "destination": self.destination.uri(),
            "endpoint_url": self.endpoint_url,
            "files": {relpath: vars(entry) for relpath, entry in sorted(self.files.items())},
            "manifest": self.manifest.decode("utf-8") if self.manifest is not None else None,
        }
        write_atomically(self.folder / STATE_NAME, json.dumps(state, indent=1).encode("utf-8") + b"\n")

    def add_file(self, relpath: str, size: int, sha256: str) -> None:
        with self._mutex:
            self.files[relpath] = SpoolEntry(size, sha256)
            self.save()

    def set_stored(self, relpath: str, proof: str | None) -> None:
        with self._mutex:
            self.files[relpath].stored = proof
            self.save()

    def set_manifest(self, manifest: bytes) -> None:
        """Keep the manifest; every file it lists becomes part of the crawl."""
        with self._mutex:
            self.manifest = manifest
            for entry in json.loads(manifest)["files"]:
                if entry["path"] not in self.files:
                    self.files[entry["path"]] = SpoolEntry(entry["size"], entry["sha256"])
            self.save()

    def unstored(self) -> list[str]:
        with self._mutex:
            return [relpath for relpath, entry in sorted(self.files.items()) if entry.stored is None]

    def remove(self) -> None:
        """Delete the state file and the empty folders: the crawl is complete in the bucket."""
        (self.folder / STATE_NAME).unlink()
        for dirpath, _dirnames, _filenames in os.walk(self.folder, topdown=False):
            if Path(dirpath) != self.folder and not any(Path(dirpath).iterdir()):
                Path(dirpath).rmdir()
        leftovers = [p for p in self.folder.rglob("*") if p.name != LOCK_NAME]
        if leftovers:
            logger.warning(
                "Crawl %s is complete; files not listed in its manifest stay in %s", self.crawl_id, self.folder
            )
        else:
            (self.folder / LOCK_NAME).unlink()
        self.release()
        if not leftovers:
            self.folder.rmdir()

    def release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor drops the flock
            self._lock_fd = None


# -- uploading -------------------------------------------------------------------------

#: Errors worth another attempt: network, server answers, a stored object that does not match.
def _retryable_errors() -> tuple[type[BaseException], ...]:
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError, S3UploadFailedError, VerificationError)


class SpoolUploader:
    """Uploads spool files in a thread pool, retries with backoff, and publishes manifests last."""

    def __init__(
        self,
        client_options: S3ClientOptions,
        policy: UploadPolicy,
        *,
        upload_threads: int,
        stats: Stats | None = None,
        client: S3Client | None = None,
    ):
        self.client_options = client_options
        self.policy = policy
        self.stats = stats
        self.counts = dict.fromkeys(UPLOAD_STATS, 0)
        self._client: S3Client | None = client  # None: built from client_options when first needed
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=max(1, upload_threads), thread_name_prefix="archive-upload")
        # Set when an upload gave up: later ones try once instead of waiting out every backoff.
        self._storage_down = False
        # Destinations of spooled crawls already checked: None if usable, else what is wrong.
        self._checked: dict[S3Destination, str | None] = {}
        if stats is not None:
            for name in UPLOAD_STATS:  # keys exist from the start: threads only update them
                stats.set_value(f"archive/upload/{name}", 0)

    @classmethod
    def from_settings(
        cls, settings: Settings, uri: ArchiveUri | str = "", *, stats: Stats | None = None
    ) -> SpoolUploader:
        policy = UploadPolicy.from_settings(settings)
        threads = settings.getint("ARCHIVE_S3_UPLOAD_THREADS")
        options = S3ClientOptions.from_settings(settings, uri)
        if not settings.getint("AWS_MAX_POOL_CONNECTIONS"):
            # Every part in flight needs its own connection, or urllib3 discards them.
            options = replace(options, max_pool_connections=threads * policy.max_concurrency + 2)
        return cls(options, policy, upload_threads=threads, stats=stats)

    @property
    def client(self) -> S3Client:
        with self._lock:  # boto3 clients are thread-safe, building one is not
            if self._client is None:
                self._client = self.client_options.make_client()
            return self._client

    @property
    def endpoint_url(self) -> str:
        return str(self.client.meta.endpoint_url)

    def count(self, name: str, value: int = 1) -> None:
        with self._lock:
            self.counts[name] += value
            if self.stats is not None:
                self.stats.inc_value(f"archive/upload/{name}", value)

    def set_pending(self, files: int) -> None:
        with self._lock:
            self.counts["pending"] = files
            if self.stats is not None:
                self.stats.set_value("archive/upload/pending", files)

    # -- before the crawl ---------------------------------------------------------------

    def check_destination(self, destination: S3Destination) -> None:
        """Raise :class:`S3StorageError` saying what is wrong if the bucket cannot be written."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        client = self.client
        where = f"{destination.uri()} at {client.meta.endpoint_url}"
        try:
            # ListObjectsV2 rather than HeadBucket: its error body names the cause.
            client.list_objects_v2(Bucket=destination.bucket, Prefix=destination.key("", ""), MaxKeys=1)
            # Proves the right to write without leaving an object: an upload started, then aborted.
            probe_key = destination.key(".write-check", "")
            upload_id = client.create_multipart_upload(Bucket=destination.bucket, Key=probe_key)["UploadId"]
            client.abort_multipart_upload(Bucket=destination.bucket, Key=probe_key, UploadId=upload_id)
        except NoCredentialsError:
            raise S3StorageError(
                f"no S3 credentials for {where}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "(environment or settings) or AWS_PROFILE"
            ) from None
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if is_outage(error):
                raise S3Unreachable(f"S3 at {where} cannot serve now ({code or status})") from None
            if code in ("NoSuchBucket", "404") or status == 404:
                raise S3StorageError(f"bucket {destination.bucket!r} does not exist ({where})") from None
            if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"):
                raise S3StorageError(
                    f"S3 refused the credentials for {where} ({code}): check AWS_ACCESS_KEY_ID, "
                    "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN or AWS_PROFILE"
                ) from None
            if code in ("AccessDenied", "AllAccessDisabled", "403") or status == 403:
                raise S3StorageError(
                    f"access denied to {where} ({code}): the credentials lack the right to list or write there"
                ) from None
            raise S3StorageError(f"cannot use {where}: {error}") from None
        except BotoCoreError as error:
            if is_outage(error):
                raise S3Unreachable(f"cannot reach {where}: {error}") from None
            raise S3StorageError(f"cannot reach {where}: {error}") from None

    # -- uploads ------------------------------------------------------------------------

    def _retrying(self, what: str, attempt_once: Callable[[], T]) -> T:
        """Run ``attempt_once`` until it succeeds, sleeping (in this upload thread) between tries."""
        retryable = _retryable_errors()
        attempts = 1 if self._storage_down else self.policy.retry_times + 1
        for attempt in range(1, attempts + 1):
            try:
                result = attempt_once()
            except retryable as error:
                if attempt == attempts:
                    self._storage_down = True
                    raise
                delay = self.policy.backoff(attempt)
                logger.warning(
                    "%s failed (attempt %d of %d): %s; retrying in %.1f s", what, attempt, attempts, error, delay
                )
                self.count("retries")
                time.sleep(delay)
            else:
                self._storage_down = False
                return result
        raise AssertionError("the last attempt returns or raises")

    def submit(self, crawl: SpoolCrawl, relpath: str, *, remove: bool = True) -> Future[bool]:
        return self._executor.submit(self.upload, crawl, relpath, remove=remove)

    def wait(self, uploads: Iterable[Future[bool]]) -> None:
        """Wait for submitted uploads; one that raised is a bug: logged with its traceback, counted failed."""
        for future in wait(list(uploads)).done:
            error = future.exception()
            if error is not None:
                logger.error("An upload crashed", exc_info=error)
                self.count("failed")

    def upload(self, crawl: SpoolCrawl, relpath: str, *, remove: bool = True) -> bool:
        """Upload one spool file with retries; once verified, remove it from the spool
        (``remove``) or leave that to :meth:`finish`."""
        entry = crawl.files[relpath]
        path = crawl.folder / relpath
        key = crawl.destination.key(crawl.crawl_id, relpath)
        bucket = crawl.destination.bucket
        try:
            proof = self._retrying(
                f"Upload of s3://{bucket}/{key}",
                lambda: upload_verified(self.client, bucket, key, path, entry.size, entry.sha256, self.policy),
            )
        except SpoolFileChanged as error:
            logger.error("Not uploading %s: %s", relpath, error)
            self.count("failed")
            return False
        except _retryable_errors() as error:
            logger.error("Could not upload s3://%s/%s: %s; the file stays in the spool at %s", bucket, key, error, path)
            self.count("failed")
            return False
        crawl.set_stored(relpath, proof)  # recorded before the spool copy goes
        if remove:
            path.unlink()
        self.count("files")
        self.count("bytes", entry.size)
        logger.debug("Uploaded and verified s3://%s/%s (%d bytes, %s)", bucket, key, entry.size, proof)
        return True

    def _confirm_stored(self, crawl: SpoolCrawl, relpath: str) -> bool:
        """Is a file recorded as stored still there, as it was verified? (Before the manifest vouches for it.)"""
        entry = crawl.files[relpath]
        key = crawl.destination.key(crawl.crawl_id, relpath)
        try:
            head = self._retrying(
                f"Check of s3://{crawl.destination.bucket}/{key}",
                lambda: self.client.head_object(Bucket=crawl.destination.bucket, Key=key, ChecksumMode="ENABLED"),
            )
        except _retryable_errors() as error:
            logger.error("Cannot confirm s3://%s/%s: %s", crawl.destination.bucket, key, error)
            return False
        if head.get("ContentLength") != entry.size or stored_proof(head) != entry.stored:
            logger.error(
                "s3://%s/%s changed after it was uploaded and verified (%s bytes, %s; expected %d bytes, %s)",
                crawl.destination.bucket, key, head.get("ContentLength"), stored_proof(head), entry.size, entry.stored,
            )
            return False
        (crawl.folder / relpath).unlink(missing_ok=True)  # a copy left by a process killed after the upload
        return True

    def finish(self, crawl: SpoolCrawl, *, upload_missing: bool) -> bool:
        """Publish the crawl's manifest if every file it lists is in the bucket; True if done.

        ``upload_missing``: first upload the files still in the spool (``scrapy upload``); a
        running crawl has already tried them. On success the crawl leaves the spool.
        """
        assert crawl.manifest is not None, "only a finished crawl has a manifest"
        if upload_missing:
            present = [relpath for relpath in crawl.unstored() if (crawl.folder / relpath).is_file()]
            self.wait(self.submit(crawl, relpath) for relpath in present)
        unstored = crawl.unstored()
        lost = [relpath for relpath in unstored if not (crawl.folder / relpath).is_file()]
        if lost:
            logger.error(
                "Crawl %s: %d files of the manifest are neither in the bucket nor in the spool: %s",
                crawl.crawl_id, len(lost), ", ".join(lost),
            )
        if unstored:
            logger.error(
                "Crawl %s is NOT complete in %s: %d of %d files could not be uploaded and stay in the spool "
                "at %s with the manifest; run `scrapy upload` (or start another crawl) to finish it",
                crawl.crawl_id, crawl.destination.uri(crawl.crawl_id), len(unstored), len(crawl.files), crawl.folder,
            )
            return False
        confirmed = [self._confirm_stored(crawl, relpath) for relpath in sorted(crawl.files)]
        if not all(confirmed):
            logger.error("Crawl %s: the manifest is not published, objects of the crawl are missing", crawl.crawl_id)
            return False
        key = crawl.destination.key(crawl.crawl_id, MANIFEST_NAME)
        manifest = crawl.manifest
        try:
            # Last, and only now: a reader who sees the manifest finds every file it lists.
            self._retrying(
                f"Upload of s3://{crawl.destination.bucket}/{key}",
                lambda: put_verified(self.client, crawl.destination.bucket, key, manifest),
            )
        except _retryable_errors() as error:
            logger.error(
                "Could not upload the manifest of crawl %s: %s; it stays in the spool at %s",
                crawl.crawl_id, error, crawl.folder,
            )
            self.count("failed")
            return False
        self.count("files")
        self.count("bytes", len(manifest))
        crawl.remove()
        logger.info("Crawl %s is complete in %s", crawl.crawl_id, crawl.destination.uri(crawl.crawl_id))
        return True

    def upload_spool(
        self, spool_dir: Path, crawl_ids: Iterable[str] = (), *, skip: Collection[str] = ()
    ) -> dict[str, bool]:
        """Upload every crawl left in the spool (or those named), manifests last.

        Returns crawl id -> complete. Crawls in use by a running crawl (or in ``skip``) are
        left alone, and so are crawls headed for another endpoint (the wrong server).
        """
        wanted = set(crawl_ids)
        results: dict[str, bool] = {}
        if not spool_dir.is_dir():
            return results
        for folder in sorted(p for p in spool_dir.iterdir() if p.is_dir()):
            if (wanted and folder.name not in wanted) or folder.name in skip:
                continue
            try:
                crawl = SpoolCrawl.open(folder)
            except S3StorageError as error:
                logger.error("Crawl %s stays in the spool: %s", folder.name, error)
                results[folder.name] = False
                continue
            if crawl is None:
                if (folder / STATE_NAME).exists():
                    logger.info("Crawl %s in the spool is in use by a running crawl: skipped", folder.name)
                continue
            try:
                results[crawl.crawl_id] = self._upload_spooled(crawl)
            finally:
                crawl.release()
        return results

    def _upload_spooled(self, crawl: SpoolCrawl) -> bool:
        if crawl.endpoint_url != self.endpoint_url:
            logger.warning(
                "Crawl %s in the spool goes to %s at %s, not to %s: set AWS_ENDPOINT_URL to upload it",
                crawl.crawl_id, crawl.destination.uri(crawl.crawl_id), crawl.endpoint_url, self.endpoint_url,
            )
            return False
        if crawl.destination not in self._checked:
            try:
                self.check_destination(crawl.destination)
            except S3StorageError as error:
                self._checked[crawl.destination] = str(error)
            else:
                self._checked[crawl.destination] = None
        problem = self._checked[crawl.destination]
        if problem is not None:
            logger.error("Crawl %s stays in the spool: %s", crawl.crawl_id, problem)
            return False
        logger.info("Uploading crawl %s from the spool to %s", crawl.crawl_id, crawl.destination.uri(crawl.crawl_id))
        if crawl.manifest is not None:
            return self.finish(crawl, upload_missing=True)
        # Its process ended without a manifest (killed): store what is complete, never publish.
        present = [relpath for relpath in crawl.unstored() if (crawl.folder / relpath).is_file()]
        self.wait(self.submit(crawl, relpath) for relpath in present)
        logger.warning(
            "Crawl %s did not finish (no manifest): its %d complete files are uploaded or kept; "
            "it stays in the spool at %s until removed by hand",
            crawl.crawl_id, len(present), crawl.folder,
        )
        return False

    def close(self) -> None:
        self._executor.shutdown(wait=True)


# -- the storage -------------------------------------------------------------------------


class S3Storage:
    """``ARCHIVE_URI = s3://bucket/prefix``: a local spool, uploads while crawling, manifest last.

    A file is queued for upload the moment it is complete. Its spool copy is removed once
    verified, or, when the crawl reads its files again (``keep_files_until_published`` of
    :meth:`open_crawl`), at the end, when the manifest is published.
    """

    def __init__(
        self,
        destination: S3Destination,
        spool_dir: Path | str,
        uploader: SpoolUploader,
        *,
        upload_spool_at_start: bool,
    ):
        self.destination = destination
        self.spool_dir = Path(spool_dir).expanduser().resolve()
        self.uploader = uploader
        self.upload_spool_at_start = upload_spool_at_start
        self._crawls: dict[str, SpoolCrawl] = {}
        self._keep_files: dict[str, bool] = {}  # crawl id -> spool copies stay until published
        self._uploads: list[Future[bool]] = []
        self._earlier_crawls: Future[dict[str, bool]] | None = None
        self.offline = False  # S3 unreachable when the crawl started: everything waits in the spool

    @classmethod
    def from_crawler(cls, crawler: Crawler, uri: ArchiveUri) -> S3Storage:
        settings = crawler.settings
        quiet_aws_debug_logs()
        return cls(
            S3Destination.from_uri(uri),
            spool_dir_from_settings(settings),
            SpoolUploader.from_settings(settings, uri, stats=crawler.stats),
            upload_spool_at_start=settings.getbool("ARCHIVE_S3_UPLOAD_SPOOL_AT_START"),
        )

    def check(self) -> None:
        """Spool writable, bucket there and writable with these credentials.

        Runs in ``from_crawler`` on the reactor thread, blocking, before anything is fetched
        or scheduled: a few quick requests that decide whether the crawl may start at all.
        """
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(self.spool_dir, os.W_OK):
            raise PermissionError(f"spool folder {self.spool_dir} (ARCHIVE_SPOOL_DIR) is not writable")
        try:
            self.uploader.check_destination(self.destination)
        except S3Unreachable as error:
            # A passing outage must not cost the night's crawl: it goes into the spool, the
            # exit status says uploads are pending, and `scrapy upload` delivers them.
            self.offline = True
            logger.warning("%s: crawling into the spool at %s; its files wait there for `scrapy upload` "
                           "(or the next crawl)", error, self.spool_dir)

    def is_complete(self, crawl_id: str) -> bool:
        """The crawl's manifest is in the bucket (a HeadObject of its key; the spool does not tell).

        With S3 unreachable since the start, False: the spool says nothing of the bucket,
        and `scrapy upload` will not publish over a complete crawl."""
        from botocore.exceptions import BotoCoreError, ClientError

        if self.offline:
            logger.warning("S3 is unreachable: cannot tell whether crawl %s is complete there", crawl_id)
            return False

        key = self.destination.key(crawl_id, MANIFEST_NAME)
        try:
            self.uploader.client.head_object(Bucket=self.destination.bucket, Key=key)
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404 or str(error.response.get("Error", {}).get("Code", "")) in ("404", "NoSuchKey"):
                return False
            raise S3StorageError(f"cannot tell whether s3://{self.destination.bucket}/{key} exists: {error}") from None
        except BotoCoreError as error:
            raise S3StorageError(f"cannot tell whether s3://{self.destination.bucket}/{key} exists: {error}") from None
        return True

    def crawl_folder(self, crawl_id: str) -> Path:
        """The crawl's spool folder."""
        return self.spool_dir / crawl_id

    def open_crawl(self, crawl_id: str, *, keep_files_until_published: bool, worker: str = "") -> Path:
        """Claim the crawl's spool folder, then start uploading what earlier crawls left there
        (``ARCHIVE_S3_UPLOAD_SPOOL_AT_START``) in a thread of its own. Workers of one shared
        crawl on one machine need spools of their own (``ARCHIVE_SPOOL_DIR``): the folder's
        lock refuses a second."""
        crawl = SpoolCrawl.create(self.spool_dir, crawl_id, self.destination, self.uploader.endpoint_url)
        # The manifest waits until the end: a crawl that never gets there exits non-zero.
        self.uploader.set_pending(1)
        self._crawls[crawl_id] = crawl
        self._keep_files[crawl_id] = keep_files_until_published
        if self.upload_spool_at_start and self._earlier_crawls is None and not self.offline:
            # Its own thread: it waits for file uploads that run in the upload pool.
            runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-spool")
            self._earlier_crawls = runner.submit(
                self.uploader.upload_spool, self.spool_dir, skip=frozenset(self._crawls)
            )
            runner.shutdown(wait=False)
        return crawl.folder

    def file_completed(self, crawl_id: str, completed: CompletedFile) -> None:
        """Record the file in the crawl's state and queue its upload (writer thread; returns at once)."""
        crawl = self._crawls[crawl_id]
        known = crawl.files.get(completed.relpath)
        if known is not None and known.sha256 == completed.sha256 and known.stored:
            return  # a resumed crawl's file its earlier run stored already
        crawl.add_file(completed.relpath, completed.size, completed.sha256)
        if self.offline:
            return  # kept in the spool for `scrapy upload`
        remove = not self._keep_files[crawl_id]
        self._uploads.append(self.uploader.submit(crawl, completed.relpath, remove=remove))

    def publish_manifest(self, crawl_id: str, manifest: bytes) -> None:
        """Wait for the uploads, then publish the manifest, or keep everything in the spool."""
        crawl = self._crawls.pop(crawl_id)
        self._keep_files.pop(crawl_id)
        crawl.set_manifest(manifest)  # from now on `scrapy upload` can finish the crawl alone
        if self.offline:
            pending = len(crawl.unstored()) + 1  # + the manifest
            self.uploader.set_pending(pending)
            crawl.release()
            self.uploader.close()
            logger.warning("S3 was unreachable when crawl %s started: %d files and its manifest wait in the spool "
                           "at %s; `scrapy upload` delivers them", crawl_id, pending - 1, crawl.folder)
            return
        self.uploader.wait(self._uploads)
        if self._earlier_crawls is not None:
            self._report_earlier_crawls(self._earlier_crawls)
        try:
            complete = self.uploader.finish(crawl, upload_missing=False)
            self.uploader.set_pending(0 if complete else len(crawl.unstored()) + 1)  # + the manifest
        finally:
            crawl.release()
            self.uploader.close()

    def adopt_file(self, crawl_id: str, relpath: str, size: int, sha256: str) -> None:
        """Another worker uploaded and verified it: checked present (HEAD, its size) and
        recorded stored with what S3 says of it, so the manifest can list it."""
        from botocore.exceptions import BotoCoreError, ClientError

        key = self.destination.key(crawl_id, relpath)
        try:
            head = self.uploader.client.head_object(Bucket=self.destination.bucket, Key=key, ChecksumMode="ENABLED")
        except (ClientError, BotoCoreError) as error:
            raise FileNotFoundError(f"s3://{self.destination.bucket}/{key}: {error}") from None
        if head.get("ContentLength") != size:
            raise FileNotFoundError(f"s3://{self.destination.bucket}/{key}: {head.get('ContentLength')} bytes, "
                                    f"not the {size} its worker stored")
        crawl = self._crawls[crawl_id]
        crawl.add_file(relpath, size, sha256)
        crawl.set_stored(relpath, stored_proof(head))

    def fetch_file(self, crawl_id: str, relpath: str) -> Path:
        """Download another worker's file into this worker's spool folder of the crawl (the
        last worker out makes the WACZ from every worker's WARCs). Raises ``S3StorageError``."""
        path = self.crawl_folder(crawl_id) / relpath
        if path.exists():
            return path
        from botocore.exceptions import BotoCoreError, ClientError

        path.parent.mkdir(parents=True, exist_ok=True)
        key = self.destination.key(crawl_id, relpath)
        partial = path.with_name(path.name + ".part")
        try:
            self.uploader.client.download_file(self.destination.bucket, key, str(partial))
        except (ClientError, BotoCoreError) as error:
            partial.unlink(missing_ok=True)
            raise S3StorageError(f"cannot read s3://{self.destination.bucket}/{key}: {error}") from None
        os.replace(partial, path)
        return path

    def wait_stored(self, crawl_id: str) -> None:
        """Wait for the uploads queued so far (what fails stays in the spool, counted)."""
        if not self.offline:
            self.uploader.wait(self._uploads)

    def close_worker(self, crawl_id: str) -> None:
        """Wait for this worker's uploads; another worker publishes the manifest. What could
        not be uploaded stays in the spool for ``scrapy upload``."""
        crawl = self._crawls.pop(crawl_id)
        self._keep_files.pop(crawl_id)
        try:
            if not self.offline:
                self.uploader.wait(self._uploads)
            unstored = crawl.unstored()
            self.uploader.set_pending(len(unstored))
            if not unstored:  # all in the bucket: the spool copies kept for derivers can go
                for relpath in crawl.files:
                    (crawl.folder / relpath).unlink(missing_ok=True)
                crawl.remove()
        finally:
            crawl.release()
            self.uploader.close()

    def _report_earlier_crawls(self, earlier_crawls: Future[dict[str, bool]]) -> None:
        error = earlier_crawls.exception()  # waits for them
        if error is not None:  # a bug: it must not keep this crawl from being published
            logger.error("Uploading the crawls left in the spool crashed", exc_info=error)
            self.uploader.count("failed")
            return
        earlier = earlier_crawls.result()
        if earlier:
            logger.info(
                "Crawls left in the spool by earlier runs: %d uploaded, %d still waiting",
                sum(earlier.values()), sum(not done for done in earlier.values()),
            )

    def location(self, crawl_id: str) -> str:
        return self.destination.uri(crawl_id)
