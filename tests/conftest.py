"""Fixtures shared by the tests: local sites on 127.0.0.1 and a crawl runner.

Crawls run as a user runs them, ``scrapy crawl articles`` in a subprocess from the
project folder, writing into the test's own ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.rawsite import RawSite

ROOT = Path(__file__).resolve().parent.parent
SCRAPY = [sys.executable, "-m", "scrapy"]

#: Settings every test crawl uses: no politeness delays on loopback, one worker.
TEST_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "0",
    "ARCHIVE_EXTRACT_WORKERS": "1",
    "ARCHIVE_PROGRESS_INTERVAL": "0",
    "LOG_LEVEL": "INFO",
}


@dataclass
class CrawlResult:
    returncode: int
    log: str
    crawl_dir: Path

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.crawl_dir / "manifest.json").read_text())

    def warc_files(self) -> list[Path]:
        return sorted((self.crawl_dir / "warc").glob("*.warc.gz"))

    def text_rows(self) -> list[dict[str, Any]]:
        import gzip

        rows = []
        for path in sorted((self.crawl_dir / "text").glob("*.jsonl.gz")):
            with gzip.open(path, "rt", encoding="utf-8") as f:
                rows += [json.loads(line) for line in f if line.strip()]
        return rows


def run_crawl(
    archive: Path, arguments: dict[str, str], settings: dict[str, str] | None = None, *,
    crawl_id: str = "test-crawl", timeout: float = 180,
) -> CrawlResult:
    """Run ``scrapy crawl articles`` and return its exit code, log and crawl folder."""
    command = [*SCRAPY, "crawl", "articles"]
    for name, value in arguments.items():
        command += ["-a", f"{name}={value}"]
    all_settings = {**TEST_SETTINGS, "ARCHIVE_URI": str(archive), "ARCHIVE_CRAWL_ID": crawl_id, **(settings or {})}
    for name, value in all_settings.items():
        command += ["-s", f"{name}={value}"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return CrawlResult(done.returncode, done.stdout + done.stderr, archive / crawl_id)


def crawl_raw_site(
    archive: Path, paths: list[str], arguments: dict[str, str] | None = None,
    settings: dict[str, str] | None = None, site: RawSite | None = None,
) -> tuple[RawSite, str, CrawlResult]:
    """Serve the raw test site, crawl ``paths`` of it as start URLs, and check the crawl ended well."""
    site = site or RawSite()
    base = site.start()
    try:
        result = run_crawl(archive, {"urls": ",".join(base + p for p in paths), **(arguments or {})}, settings)
    finally:
        site.stop()
    assert result.returncode == 0, result.log
    return site, base, result


@pytest.fixture
def raw_site() -> Iterator[tuple[RawSite, str]]:
    site = RawSite()
    base = site.start()
    yield site, base
    site.stop()
