"""The cron and systemd recipe (deploy/crawl.sh): one crawl at a time, silent when all went well,
a report and a non-zero exit status when not."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.crawl import ROOT, TEST_SETTINGS
from tests.support.rawsite import RawSite

ARTICLE = "/article?id=7&lang=en"
SCRIPT = ROOT / "deploy" / "crawl.sh"


def wrapper(tmp_path: Path, *arguments: str) -> subprocess.Popen[str]:
    """Start deploy/crawl.sh as cron would: its own folder, a few environment variables, no terminal."""
    env = {
        **os.environ,
        "ARCHIVE_URI": str(tmp_path / "archive"),
        "NEWS_ARCHIVER_LOCK": str(tmp_path / "news-archiver.lock"),
        "NEWS_ARCHIVER_LOGS": str(tmp_path / "logs"),
        "SCRAPY": str(Path(sys.executable).parent / "scrapy"),
    }
    settings = [arg for name, value in TEST_SETTINGS.items() for arg in ("-s", f"{name}={value}")]
    return subprocess.Popen(
        ["sh", str(SCRIPT), *settings, *arguments], cwd="/", env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    output, _ = process.communicate(timeout=180)
    return process.returncode, output


def test_cron_recipe_is_silent_on_success_and_reports_a_failed_crawl(tmp_path: Path) -> None:
    site = RawSite()
    base = site.start()
    try:
        status, output = finish(wrapper(tmp_path, "-a", f"urls={base}{ARTICLE}", "-a", "requisites=0",
                                        "-s", "ARCHIVE_CRAWL_ID=night-1"))
        assert (status, output) == (0, "")  # cron mails nothing
        [log] = (tmp_path / "logs").glob("articles-*.log")
        assert "Crawl night-1 archived" in log.read_text()
        assert (tmp_path / "archive" / "night-1" / "manifest.json").is_file()

        # Scrapy exits 0 for a crawl cut short by a limit; the recipe asks `scrapy crawls`.
        status, output = finish(wrapper(
            tmp_path, "-a", f"urls={base}{ARTICLE},{base}/teapot,{base}/gzipped", "-a", "requisites=0",
            "-s", "ARCHIVE_CRAWL_ID=night-2", "-s", "CLOSESPIDER_PAGECOUNT=1", "-s", "CONCURRENT_REQUESTS=1",
        ))
    finally:
        site.stop()
    assert status == 1
    assert "scrapy crawl articles exited with status 0" in output
    assert "night-2" in output and "failed" in output and "closespider_pagecount" in output


def test_a_second_start_while_a_crawl_runs_is_refused(tmp_path: Path) -> None:
    with open(tmp_path / "news-archiver.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as the running crawl's wrapper holds it
        status, output = finish(wrapper(tmp_path, "-a", "urls=http://127.0.0.1:9/"))
    assert status == 75
    assert "the previous crawl still runs" in output
    assert not (tmp_path / "archive").exists() and not (tmp_path / "logs").exists()


def test_a_stop_reaches_the_crawl_which_stops_resumable(tmp_path: Path) -> None:
    """systemd stops the service with SIGTERM to the script: the crawl stops, its files whole, to be resumed."""
    site = RawSite()
    base = site.start()
    try:
        process = wrapper(tmp_path, "-a", f"urls={base}{ARTICLE},{base}/slow", "-a", "requisites=0",
                          "-s", "DOWNLOAD_TIMEOUT=5")
        deadline = time.monotonic() + 60
        while "/slow" not in site.paths():  # the article is archived, /slow answers in 30 s
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.2)
        os.kill(process.pid, signal.SIGTERM)  # the script alone, as KillMode=mixed does
        status, output = finish(process)
    finally:
        site.stop()
    [crawl_dir] = [p for p in (tmp_path / "archive").iterdir() if p.is_dir()]
    assert crawl_dir.name == "articles-" + time.strftime("%Y%m%d", time.gmtime())  # the day's crawl id
    assert list((crawl_dir / "warc").glob("*.warc.gz")) and not list(crawl_dir.rglob("*.open"))  # closed whole
    assert not (crawl_dir / "manifest.json").exists()
    assert status == 1 and "exited with status 1" in output
    assert re.search(rf"^{crawl_dir.name} +resumable ", output, re.MULTILINE), output


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_units_verify(tmp_path: Path) -> None:
    """The service and timer of deploy/ load in systemd, pointed at this checkout."""
    service = (ROOT / "deploy" / "news-archiver.service").read_text()
    service = service.replace("/srv/news-archiver", str(ROOT)).replace("User=news-archiver", "User=root")
    (tmp_path / "news-archiver.service").write_text(service)
    shutil.copy(ROOT / "deploy" / "news-archiver.timer", tmp_path)
    done = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "news-archiver.service"), str(tmp_path / "news-archiver.timer")],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


@pytest.mark.parametrize("host", ["web1", "crawler-7.dc2.example.org"])
@pytest.mark.parametrize("instance", ["1", "12"])
def test_the_worker_units_worker_id_is_one_the_frontier_takes(host: str, instance: str) -> None:
    """news-archiver-worker@.service names each instance's worker from the host name and the
    instance number: expanded as systemd expands %H and %i, it must be a worker id the
    frontier accepts, or every instance would stop at its start."""
    from scraper.frontier.redis import WORKER_ID_PATTERN, worker_id

    unit = (ROOT / "deploy" / "news-archiver-worker@.service").read_text()
    found = re.search(r"ARCHIVE_WORKER_ID=(\S+)", unit)
    assert found, "the unit sets no ARCHIVE_WORKER_ID"
    configured = found.group(1).replace("%H", host).replace("%l", host.split(".")[0]).replace("%i", instance)
    worker = worker_id(configured, host=host)
    assert WORKER_ID_PATTERN.fullmatch(worker), worker
    assert worker.endswith(f"_{instance}")


def test_dockerfile_copies_what_exists_and_runs_as_a_user_in_the_project_folder() -> None:
    """No container engine here: the Dockerfile is checked for what would break its build or its crawls."""
    lines = [line.split("#")[0].strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    instructions = [line.split(None, 1) for line in lines if line and line.split(None, 1)[0].isupper()]
    copied = [source for word, rest in instructions if word == "COPY" for source in rest.split()[:-1]]
    assert copied and all((ROOT / source).exists() for source in copied), copied
    assert {"scrapy.cfg", "pyproject.toml", "scraper", "spiders"} <= set(copied)
    assert ["WORKDIR", "/app"] in instructions
    users = [rest for word, rest in instructions if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert instructions[0] == ["FROM", "python:3.11-slim"]
