"""The local folder storage and the choice of storage by ``ARCHIVE_URI`` scheme."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from scraper.archive.manifest import completed_file
from scraper.files import write_atomically
from scraper.storage.base import ArchiveUri, storage_class_for_uri
from scraper.storage.local import FileStorage
from scraper.storage.s3 import S3Storage

STORAGES = {
    "": "scraper.storage.local.FileStorage",
    "file": "scraper.storage.local.FileStorage",
    "s3": "scraper.storage.s3.S3Storage",
}


def test_files_stay_where_written_and_the_manifest_comes_last(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path / "archive")
    storage.check()
    crawl_dir = storage.crawl_folder("c1")
    assert crawl_dir == (tmp_path / "archive" / "c1").resolve()
    warc = crawl_dir / "warc" / "c1-00001.warc.gz"
    warc.parent.mkdir(parents=True)
    warc.write_bytes(b"records")
    storage.file_completed("c1", completed_file(crawl_dir, warc))
    assert warc.read_bytes() == b"records"  # nothing moves
    assert not (crawl_dir / "manifest.json").exists()

    manifest = json.dumps({"crawl_id": "c1"}).encode()
    storage.publish_manifest("c1", manifest)
    assert (crawl_dir / "manifest.json").read_bytes() == manifest
    assert sorted(p.name for p in crawl_dir.iterdir()) == ["manifest.json", "warc"]  # no .open left
    assert storage.location("c1") == str(crawl_dir)


def test_from_uri_takes_paths_and_file_uris(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert FileStorage.from_uri(f"file://{tmp_path}/a").root == tmp_path / "a"
    assert FileStorage.from_uri(str(tmp_path / "b")).root == tmp_path / "b"
    monkeypatch.chdir(tmp_path)
    assert FileStorage.from_uri("./archive").root == tmp_path / "archive"  # resolved once, at start
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert FileStorage.from_uri("~/archive").root == tmp_path / "home" / "archive"


def test_check_creates_the_folder_or_fails_before_the_crawl(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path / "new" / "archive")
    storage.check()
    assert (tmp_path / "new" / "archive").is_dir()
    (tmp_path / "a-file").write_bytes(b"")
    with pytest.raises(OSError):
        FileStorage(tmp_path / "a-file" / "archive").check()
    if os.geteuid() != 0:  # root may write anywhere
        read_only = tmp_path / "ro"
        read_only.mkdir(mode=0o555)
        with pytest.raises(PermissionError, match="not writable"):
            FileStorage(read_only).check()


def test_write_atomically_replaces_whole_files(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "manifest.json"
    write_atomically(target, b"first")
    write_atomically(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["manifest.json"]


@pytest.mark.parametrize(
    ("uri", "storage_class"),
    [
        ("./archive", FileStorage),
        ("/srv/archive", FileStorage),
        ("file:///srv/archive", FileStorage),
        ("C:/archive", FileStorage),  # a drive letter, not a scheme
        ("s3://bucket/prefix", S3Storage),
    ],
)
def test_storage_is_chosen_by_scheme(uri: str, storage_class: type) -> None:
    assert storage_class_for_uri(ArchiveUri.parse(uri), STORAGES) is storage_class


def test_an_unknown_scheme_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"no storage for scheme 'gs' \(known: \(path\), file, s3\)") as raised:
        storage_class_for_uri(ArchiveUri.parse("gs://KEY:SECRET@bucket/prefix"), STORAGES)
    assert "SECRET" not in str(raised.value)


def test_archive_uri_is_taken_apart_once_and_shown_without_credentials() -> None:
    uri = ArchiveUri.parse("s3://KEY:SECRET@Bucket/some/prefix/")
    parts = (uri.scheme, uri.host, uri.path, uri.username, uri.password)
    assert parts == ("s3", "Bucket", "some/prefix", "KEY", "SECRET")
    assert uri.public() == "s3://Bucket/some/prefix/"
    assert "SECRET" not in repr(uri)
    assert ArchiveUri.parse("C:/archive").path == "C:/archive"
    assert ArchiveUri.parse("file:///srv/archive").path == "/srv/archive"
