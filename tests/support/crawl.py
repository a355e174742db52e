"""Run the project's Scrapy commands as a user runs them, and read what a crawl left.

Each command runs in a subprocess from the project folder (``scrapy crawl articles``,
``scrapy verify``, ...), writing into the test's own ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sample_site.command import crawl_command, scrapy_command
from tests.support.rawsite import RawSite
from tests.support.warcs import read_text_rows

ROOT = Path(__file__).resolve().parents[2]

#: Settings every test crawl uses: no politeness delays on loopback, one worker, and no
#: tdmrep.json request beside the pages a test asks for and counts (tests/test_rights.py
#: switches it on).
TEST_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "0",
    "ARCHIVE_TDMREP_WELL_KNOWN": "0",
    "ARCHIVE_EXTRACT_WORKERS": "1",
    "ARCHIVE_PROGRESS_INTERVAL": "0",
    "LOG_LEVEL": "INFO",
}


def reextract_project() -> dict[str, Any]:
    """The keyword arguments ``scrapy reextract`` passes to :func:`scraper.tools.reextract.reextract`
    with the project's settings (all but ``workers``)."""
    from scraper import settings
    from scraper.extract.model import ExtractionOptions

    return {"options": ExtractionOptions(min_text_chars=settings.ARCHIVE_MIN_TEXT_CHARS),
            "gzip_level": settings.ARCHIVE_GZIP_LEVEL, "extract_timeout": settings.ARCHIVE_EXTRACT_TIMEOUT,
            "max_extract_bytes": settings.ARCHIVE_MAX_EXTRACT_BYTES}


def project_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's environment) with the project folder on the import path."""
    return {**(os.environ if env is None else env), "PYTHONPATH": str(ROOT)}


def run_scrapy(*arguments: str, env: dict[str, str] | None = None, timeout: float = 300,
               ) -> subprocess.CompletedProcess[str]:
    """``scrapy ARGUMENTS...`` from the project folder, its output captured as text."""
    return subprocess.run(scrapy_command(*arguments), cwd=ROOT, env=project_env(env), capture_output=True, text=True,
                          timeout=timeout)


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
        return read_text_rows(self.crawl_dir)


def crawl_settings(archive: Path, crawl_id: str, settings: dict[str, str] | None = None) -> dict[str, str]:
    """:data:`TEST_SETTINGS` writing crawl ``crawl_id`` into ``archive``, then ``settings``."""
    return {**TEST_SETTINGS, "ARCHIVE_URI": str(archive), "ARCHIVE_CRAWL_ID": crawl_id, **(settings or {})}


def run_crawl(
    archive: Path, arguments: dict[str, str], settings: dict[str, str] | None = None, *,
    crawl_id: str = "test-crawl", timeout: float = 180,
) -> CrawlResult:
    """Run ``scrapy crawl articles`` and return its exit code, log and crawl folder."""
    command = crawl_command(arguments, crawl_settings(archive, crawl_id, settings))
    done = subprocess.run(command, cwd=ROOT, env=project_env(), capture_output=True, text=True, timeout=timeout)
    return CrawlResult(done.returncode, done.stdout + done.stderr, archive / crawl_id)


def crawl_raw_site(
    archive: Path, paths: list[str], arguments: dict[str, str] | None = None,
    settings: dict[str, str] | None = None, site: RawSite | None = None,
) -> tuple[RawSite, str, CrawlResult]:
    """Serve the raw test site, crawl ``paths`` of it as start URLs, and check the crawl ended well.

    A crawl that fails is a test failure (``pytest.fail``), never an ``AssertionError``
    an ``xfail(raises=AssertionError)`` would take for the expected one.
    """
    site = site or RawSite()
    base = site.start()
    try:
        result = run_crawl(archive, {"urls": ",".join(base + p for p in paths), **(arguments or {})}, settings)
    finally:
        site.stop()
    if result.returncode != 0:
        pytest.fail(f"the crawl exited with {result.returncode}:\n{result.log}")
    return site, base, result
