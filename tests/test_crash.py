"""A crawl killed mid-way leaves WARC readable up to its last complete record."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from sample_site.command import crawl_command
from tests.support.crawl import ROOT, crawl_settings, project_env
from tests.support.warcs import records

PAGES = ["/gzipped", "/teapot", "/doc.pdf", "/missing"]


def archived_uris(path) -> list[str]:
    """Target URIs of the whole response records (check_digests: a record cut short raises)."""
    return [
        record.rec_headers.get_header("WARC-Target-URI")
        for record in records([path], "response", check_digests=True)
        if record.content_stream().read() is not None
    ]


def test_killed_crawl_leaves_readable_warc(tmp_path, raw_site) -> None:
    site, base = raw_site
    archive = tmp_path / "archive"
    arguments = {"urls": ",".join(base + p for p in [*PAGES, "/slow"]), "requisites": "0"}
    process = subprocess.Popen(
        crawl_command(arguments, crawl_settings(archive, "killed")),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=project_env(),
    )
    try:
        deadline = time.monotonic() + 60
        open_files: list = []
        while time.monotonic() < deadline:
            open_files = list((archive / "killed" / "warc").glob("*.warc.gz.open"))
            if "/slow" in site.paths() and open_files and len(archived_uris(open_files[0])) >= 1 + len(PAGES):
                break
            time.sleep(0.2)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the crawler and its extraction workers
        process.wait(timeout=10)
    [open_file] = open_files
    uris = archived_uris(open_file)  # check_digests: every record read back is whole
    assert set(uris) == {base + "/robots.txt", *(base + p for p in PAGES)}
    assert not (archive / "killed" / "manifest.json").exists()  # an incomplete crawl has no manifest
