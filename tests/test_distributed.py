"""Many crawler processes, one crawl: a shared frontier on a real ``redis-server``.

Three ``scrapy crawl articles`` processes share one crawl id, one Redis and one archive
folder. The story the issue tells: one worker is killed with SIGKILL half-way; the others
hand its leased requests back and fetch them; the last one out writes the manifest. In the
end every page has a response record, every article exactly one text row, a response is
archived twice only if it was in flight at the kill, and ``scrapy verify`` passes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from benchmarks.site import BenchSite
from sample_site.command import crawl_command
from scraper.archive.verify import verify_crawl
from scraper.frontier.redis import RedisFrontier, crawl_snapshot
from tests.support.benchsite import serving_bench_site
from tests.support.crawl import ROOT, crawl_settings, project_env, run_scrapy
from tests.support.hostile import HostileServer
from tests.support.redisserver import RedisServer, find_redis_server
from tests.support.s3server import WeedServer
from tests.support.warcs import read_text_rows

pytestmark = pytest.mark.skipif(find_redis_server() is None, reason="redis-server is not installed "
                                "(apt-get install redis-server; .ci/run does)")

PAGES = 300


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[BenchSite, str]]:
    with serving_bench_site(PAGES) as served:
        yield served


@pytest.fixture
def durable_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server that keeps an append-only file: restarted, it has what it had."""
    data = tmp_path / "redis"
    data.mkdir()
    with RedisServer(data, appendonly=True) as server:
        yield server


def worker_command(tmp_path: Path, urls: list[str], frontier: str, worker: str,
                   settings: dict[str, str] | None = None) -> list[str]:
    (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n")
    return crawl_command(
        {"urls_file": str(tmp_path / "urls.txt"), "requisites": "0"},
        crawl_settings(tmp_path / "archive", "shared", {
            "ARCHIVE_FRONTIER": frontier, "ARCHIVE_WORKER_ID": worker, "ARCHIVE_FRONTIER_LEASE_TIMEOUT": "3",
            "CONCURRENT_REQUESTS_PER_DOMAIN": "4", "ARCHIVE_HISTORY": "0", **(settings or {}),
        }),
    )


def start_worker(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "w") as out:
        return subprocess.Popen(command, cwd=ROOT, env=project_env(), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def worker_warc_bytes(crawl_dir: Path, worker: str) -> int:
    return sum(p.stat().st_size for p in (crawl_dir / "warc").glob(f"shared-{worker}-*")) \
        if (crawl_dir / "warc").is_dir() else 0


def responses_by_url(crawl_dir: Path, worker: str = "") -> Counter[str]:
    """Response records a URL, in every worker's WARCs or in ``worker``'s (robots.txt left
    out: each worker fetches it once)."""
    responses: Counter[str] = Counter()
    for path in sorted(crawl_dir.glob(f"warc/shared-{worker}*.warc.gz")):
        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
                url = record.rec_headers.get_header("WARC-Target-URI")
                if record.rec_type == "response" and not url.endswith("/robots.txt"):
                    responses[url] += 1
    return responses


def wait_all(workers: dict[str, subprocess.Popen[bytes]], timeout: float = 300) -> dict[str, int]:
    """Exit codes of every worker; all killed if one outlives ``timeout`` (then it raises)."""
    deadline = time.monotonic() + timeout
    codes = {}
    try:
        for name, process in workers.items():
            codes[name] = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        for process in workers.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    return codes


def test_three_workers_one_killed_half_way_archive_every_page_once(
    site: tuple[BenchSite, str], redis_server: RedisServer, tmp_path: Path
) -> None:
    bench, base = site
    urls = bench.urls(base)
    crawl_dir = tmp_path / "archive" / "shared"
    # With the crawl history on (the default): on the same Redis, shared by the workers.
    workers = {name: start_worker(worker_command(tmp_path, urls, redis_server.url, name, {"ARCHIVE_HISTORY": "1"}),
                                  tmp_path / f"{name}.log") for name in ("w1", "w2", "w3")}
    # Killed once it has archived a share of the site: progress, not seconds.
    deadline = time.monotonic() + 240
    while workers["w2"].poll() is None and time.monotonic() < deadline:
        if worker_warc_bytes(crawl_dir, "w2") >= 1_500_000:
            os.killpg(workers["w2"].pid, signal.SIGKILL)  # the worker and its extraction processes
            break
        time.sleep(0.02)
    codes = wait_all(workers)
    logs = {name: (tmp_path / f"{name}.log").read_text() for name in workers}
    assert codes["w2"] == -signal.SIGKILL, f"w2 ended before the kill: {codes}"
    assert codes["w1"] == 0 and codes["w3"] == 0, (codes, logs["w1"][-3000:], logs["w3"][-3000:])

    manifest = json.loads((crawl_dir / "manifest.json").read_text())
    assert set(manifest["workers"]) == {"w1", "w2", "w3"}
    stats = manifest["stats"]
    # Every page archived; twice only the pages the killed worker held leases on.
    responses = responses_by_url(crawl_dir)
    assert set(urls) <= set(responses), sorted(set(urls) - set(responses))[:5]
    twice = {url: n for url, n in responses.items() if n > 1}
    handed_back = stats.get("archive/frontier/reaped_leases", 0)
    assert handed_back >= 1, stats  # w2 held leases when it was killed
    assert len(twice) <= handed_back and max(twice.values(), default=1) == 2, (twice, handed_back)
    print(f"killed worker: {handed_back} leases handed back, {len(twice)} pages archived twice")
    # Each article exactly one text row, whichever worker wrote it.
    rows = Counter(row["url"] for row in read_text_rows(crawl_dir))  # every benchmark page is an article
    assert set(rows) == set(urls) and max(rows.values()) == 1, [u for u, n in rows.items() if n > 1][:5]
    # One crawl: every worker's files (the dead one's sealed) listed, the WACZ over all WARCs.
    listed = {entry["path"] for entry in manifest["files"]}
    present = {p.relative_to(crawl_dir).as_posix() for p in crawl_dir.rglob("*") if p.is_file()}
    assert listed == present - {"manifest.json"}
    assert {name.split("-")[1] for name in listed if name.startswith("warc/")} == {"w1", "w2", "w3"}
    report = verify_crawl(crawl_dir)
    assert report.ok, report.summary()
    assert stats["archive/frontier/workers"] == 3
    listing = run_scrapy("crawls", str(tmp_path / "archive"))
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert "worker w2: dead" in listing.stdout and "worker w1: done" in listing.stdout, listing.stdout


def test_redis_restarting_mid_crawl_loses_nothing(
    site: tuple[BenchSite, str], durable_redis: RedisServer, tmp_path: Path
) -> None:
    redis_server = durable_redis
    bench, base = site
    urls = bench.urls(base)
    crawl_dir = tmp_path / "archive" / "shared"
    workers = {name: start_worker(worker_command(tmp_path, urls, redis_server.url, name), tmp_path / f"{name}.log")
               for name in ("w1", "w2")}
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and all(p.poll() is None for p in workers.values()):
        if worker_warc_bytes(crawl_dir, "w1") + worker_warc_bytes(crawl_dir, "w2") >= 1_500_000:
            redis_server.kill()  # as a crashed host: what the append-only file holds comes back
            time.sleep(1.0)
            redis_server.start()
            break
        time.sleep(0.02)
    else:
        pytest.fail("the crawl ended before Redis was restarted")
    codes = wait_all(workers)
    logs = {name: (tmp_path / f"{name}.log").read_text() for name in workers}
    assert codes == {"w1": 0, "w2": 0}, (codes, logs["w1"][-3000:])
    responses = responses_by_url(crawl_dir)
    assert set(urls) <= set(responses), sorted(set(urls) - set(responses))[:5]
    assert max(responses.values()) == 1, [u for u, n in responses.items() if n > 1][:5]
    rows = Counter(row["url"] for row in read_text_rows(crawl_dir))
    assert set(rows) == set(urls) and max(rows.values()) == 1
    assert verify_crawl(crawl_dir).ok


def test_a_single_worker_on_the_frontier_matches_the_crawl_without_it(
    site: tuple[BenchSite, str], redis_server: RedisServer, tmp_path: Path
) -> None:
    """The same pages and rows as a crawl without Redis, the crawl's queue gone from Redis
    once its manifest is written, and a second start of the finished crawl refused."""
    bench, base = site
    urls = bench.urls(base)[:60]
    command = worker_command(tmp_path, urls, redis_server.url, "solo")
    done = subprocess.run(command, cwd=ROOT, env=project_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    crawl_dir = tmp_path / "archive" / "shared"
    responses = responses_by_url(crawl_dir)
    assert set(responses) == set(urls) and max(responses.values()) == 1
    client = redis_server.client()
    assert not client.exists("archive:shared:queue", "archive:shared:dupefilter")
    listed = json.loads((crawl_dir / "manifest.json").read_text())["files"]
    assert client.hlen("archive:shared:files") == len(listed)  # kept a week for `scrapy crawls`
    again = subprocess.run(command, cwd=ROOT, env=project_env(), capture_output=True, text=True, timeout=300)
    assert again.returncode != 0 and "finished already" in again.stdout + again.stderr


def test_per_host_concurrency_and_delay_hold_for_the_whole_crawl(redis_server: RedisServer, tmp_path: Path) -> None:
    """Three workers, two downloads at a time per host: the server never sees more than two
    at once, where three workers on their own would send six."""
    # Thirty one-second answers, two at a time: fifteen seconds, long enough for all three
    # workers to start on a busy machine and take their share.
    server = HostileServer(sleep=1.0)
    base = server.start()
    try:
        urls = [f"{base}/sleep?{i}" for i in range(30)]
        settings = {"CONCURRENT_REQUESTS_PER_DOMAIN": "2", "DOWNLOAD_DELAY": "0"}
        workers = {name: start_worker(worker_command(tmp_path, urls, redis_server.url, name, settings),
                                      tmp_path / f"{name}.log") for name in ("w1", "w2", "w3")}
        codes = wait_all(workers)
    finally:
        server.stop()
    assert codes == {"w1": 0, "w2": 0, "w3": 0}, (tmp_path / "w1.log").read_text()[-3000:]
    assert sorted(path for path in server.paths() if path.startswith("/sleep")) == sorted(
        f"/sleep?{i}" for i in range(30))  # each once, whichever worker
    assert server.max_in_progress == 2
    crawl_dir = tmp_path / "archive" / "shared"
    fetched_by = {name: responses_by_url(crawl_dir, name) for name in workers}
    assert sum(1 for counts in fetched_by.values() if counts) >= 2, "the downloads were not shared between workers"


def test_scrapy_finish_ends_a_crawl_whose_workers_all_died(
    site: tuple[BenchSite, str], redis_server: RedisServer, tmp_path: Path
) -> None:
    """Both workers killed half-way: ``scrapy finish`` hands their leases back, fetches what
    the frontier holds, seals their files and writes the manifest."""
    bench, base = site
    urls = bench.urls(base)[:150]
    crawl_dir = tmp_path / "archive" / "shared"
    workers = {name: start_worker(worker_command(tmp_path, urls, redis_server.url, name), tmp_path / f"{name}.log")
               for name in ("w1", "w2")}
    deadline = time.monotonic() + 240
    client = redis_server.client()
    while time.monotonic() < deadline and all(p.poll() is None for p in workers.values()):
        # Both have joined (a slow start could otherwise be killed before it registers).
        if client.hlen("archive:shared:workers") == 2 and \
                worker_warc_bytes(crawl_dir, "w1") + worker_warc_bytes(crawl_dir, "w2") >= 1_000_000:
            break
        time.sleep(0.02)
    for process in workers.values():
        os.killpg(process.pid, signal.SIGKILL)
    assert wait_all(workers) == {"w1": -signal.SIGKILL, "w2": -signal.SIGKILL}
    assert not (crawl_dir / "manifest.json").exists()
    settings = crawl_settings(tmp_path / "archive", "ignored", {
        "ARCHIVE_FRONTIER": redis_server.url, "ARCHIVE_FRONTIER_LEASE_TIMEOUT": "3", "ARCHIVE_HISTORY": "0",
        "ARCHIVE_WORKER_ID": "finisher"})
    options = [part for name, value in settings.items() if name != "ARCHIVE_CRAWL_ID"
               for part in ("-s", f"{name}={value}")]
    done = run_scrapy("finish", "shared", *options)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    manifest = json.loads((crawl_dir / "manifest.json").read_text())
    assert {w: entry["state"] for w, entry in manifest["workers"].items()} == {
        "w1": "dead", "w2": "dead", "finisher": "done"}
    responses = responses_by_url(crawl_dir)
    assert set(urls) <= set(responses), sorted(set(urls) - set(responses))[:5]
    rows = Counter(row["url"] for row in read_text_rows(crawl_dir))
    assert set(rows) == set(urls) and max(rows.values()) == 1
    # The crawl's totals count the dead workers' pages too (from their files): robots.txt
    # is left out of `responses`, once a worker.
    assert manifest["stats"]["archive/warc/responses"] >= sum(responses.values())
    assert verify_crawl(crawl_dir).ok


def test_two_workers_on_two_spools_make_one_crawl_in_the_bucket(
    site: tuple[BenchSite, str], redis_server: RedisServer, weed: WeedServer, tmp_path: Path
) -> None:
    """Each worker uploads its own files from its own spool (two machines); the last one out
    makes the WACZ from both workers' WARCs, fetched back from the bucket, and publishes the
    manifest. ``scrapy verify`` passes on the bucket."""
    bench, base = site
    urls = bench.urls(base)[:80]
    s3 = {"ARCHIVE_URI": f"s3://{weed.bucket}/shared-crawls", "AWS_ENDPOINT_URL": weed.endpoint_url,
          "AWS_REGION_NAME": "us-east-1", "AWS_ACCESS_KEY_ID": weed.access_key,
          "AWS_SECRET_ACCESS_KEY": weed.secret_key, "CONCURRENT_REQUESTS_PER_DOMAIN": "2"}
    workers = {name: start_worker(worker_command(tmp_path, urls, redis_server.url, name,
                                                 {**s3, "ARCHIVE_SPOOL_DIR": str(tmp_path / f"spool-{name}")}),
                                  tmp_path / f"{name}.log") for name in ("w1", "w2")}
    codes = wait_all(workers)
    assert codes == {"w1": 0, "w2": 0}, [(tmp_path / f"{n}.log").read_text()[-3000:] for n in workers]
    client = weed.client()
    manifest = json.loads(
        client.get_object(Bucket=weed.bucket, Key="shared-crawls/shared/manifest.json")["Body"].read())
    listed = {entry["path"] for entry in manifest["files"]}
    assert {name.split("-")[1] for name in listed if name.startswith("warc/")} == {"w1", "w2"}
    assert "shared.wacz" in listed and not manifest["failed"]
    keys = {item["Key"].removeprefix("shared-crawls/shared/")
            for item in client.list_objects_v2(Bucket=weed.bucket, Prefix="shared-crawls/shared/")["Contents"]}
    assert listed <= keys
    verify = run_scrapy("verify", f"s3://{weed.bucket}/shared-crawls/shared", "-s",
                        f"AWS_ENDPOINT_URL={weed.endpoint_url}", "-s", "AWS_REGION_NAME=us-east-1",
                        env=weed.environment())
    assert verify.returncode == 0, verify.stdout + verify.stderr
    # Nothing left waiting in either spool: the fetched copies are gone too.
    left = [p for name in workers for p in (tmp_path / f"spool-{name}").rglob("*.gz")]
    assert not left, left


def test_an_idle_worker_hands_back_a_lease_whose_pop_reply_was_lost(redis_server: RedisServer) -> None:
    """Redis killed after it ran a pop and before its reply: the worker's client pops again
    and never learns of the first lease. Idle, the worker hands back every lease it does not
    know, and keeps the ones it waits to acknowledge."""
    frontier = RedisFrontier.from_url(redis_server.url, "orphans", "w1", lease_timeout=30)
    frontier.join()
    for name in (b"lost", b"known", b"third"):
        frontier.push(name, fingerprint=name.decode())
    lost = frontier.pop()  # as if its reply never arrived
    known = frontier.pop()
    assert lost is not None and known is not None
    assert frontier.pending()[:2] == (1, 2)
    assert frontier.release_unknown_leases([known[0]]) == 1
    assert frontier.pending()[:2] == (2, 1)
    assert frontier.ack(known[0]) and frontier.pending()[:2] == (2, 0)
    popped = [frontier.pop(), frontier.pop()]
    assert {item[1] for item in popped if item is not None} == {lost[1], b"third"}


def listed(archive: Path, frontier: str, crawl_id: str = "shared") -> tuple[int, dict[str, Any]]:
    """``scrapy crawls --json`` with the frontier, as an operator runs it: its exit status and
    the crawl ``crawl_id`` as listed (``{}`` while the archive does not show it yet)."""
    done = run_scrapy("crawls", "--json", str(archive), "-s", f"ARCHIVE_FRONTIER={frontier}", timeout=120)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert not done.stderr.strip(), done.stderr  # no warning: Redis answered
    crawls = {crawl["crawl_id"]: crawl for crawl in json.loads(done.stdout)["crawls"]}
    return done.returncode, crawls.get(crawl_id, {})


def worker_states(crawl: dict[str, Any]) -> dict[str, str]:
    return {entry["worker"]: entry["state"] for entry in crawl.get("workers", [])}


def test_scrapy_crawls_shows_a_shared_crawl_live_then_from_its_manifest(redis_server: RedisServer,
                                                                        tmp_path: Path) -> None:
    """Two workers on a site whose pages take 45 s (until the test lets them answer): while
    they run, `scrapy crawls` lists both running and the requests queued and leased; one
    killed, it turns dead once its heartbeat expired; the other finishes the crawl and the
    listing comes from the manifest."""
    server = HostileServer(sleep=45.0)  # below DOWNLOAD_TIMEOUT: a slow page, not a failed one
    base = server.start()
    archive = tmp_path / "archive"
    archive.mkdir()  # listed from the start: "no crawls" until the workers make theirs
    try:
        urls = [f"{base}/sleep?{i}" for i in range(30)]
        settings = {"CONCURRENT_REQUESTS_PER_DOMAIN": "2", "DOWNLOAD_DELAY": "0"}
        # w2's heartbeat lives 3 s, w1's 30 s: w2 is seen dead soon after its kill (before
        # w1's next reap, every 10 s), and a busy machine that stalls w1 a few seconds does
        # not make it look dead too.
        lease_timeouts = {"w1": "30", "w2": "3"}
        workers = {name: start_worker(worker_command(tmp_path, urls, redis_server.url, name,
                                                     {**settings, "ARCHIVE_FRONTIER_LEASE_TIMEOUT": timeout}),
                                      tmp_path / f"{name}.log") for name, timeout in lease_timeouts.items()}
        try:
            # Both joined, whatever the machine's load: thirty 45-second pages, two at a
            # time, cannot end before the test wakes them.
            deadline = time.monotonic() + 240
            status, crawl = listed(archive, redis_server.url)
            while worker_states(crawl) != {"w1": "running", "w2": "running"}:
                assert time.monotonic() < deadline, crawl
                assert all(p.poll() is None for p in workers.values()), (tmp_path / "w1.log").read_text()[-3000:]
                time.sleep(0.5)
                status, crawl = listed(archive, redis_server.url)
            assert status == 0 and crawl["state"] == "running" and not crawl["failed"]
            frontier = crawl["frontier"]
            assert frontier["running_workers"] == 2 and frontier["queued"] + frontier["leased"] > 0, frontier
            assert frontier["queued"] + frontier["leased"] <= len(urls)
            table = run_scrapy("crawls", str(archive), "-s", f"ARCHIVE_FRONTIER={redis_server.url}", timeout=120)
            assert "worker w1: running" in table.stdout and "worker w2: running" in table.stdout, table.stdout
            assert re.search(r"^    frontier: queued \d+, leased \d+$", table.stdout, re.M), table.stdout
            # Each heartbeat (w1's every 10 s) publishes the worker's counts so far.
            look = RedisFrontier.from_url(redis_server.url, "shared", "observer", lease_timeout=600).client
            while (snapshot := crawl_snapshot(look, "shared")) is None or snapshot.workers["w1"].stats is None:
                assert time.monotonic() < deadline + 60, snapshot
                time.sleep(0.5)
            assert set(snapshot.workers["w1"].stats) == {"archive/warc/responses", "archive/text/articles"}

            os.killpg(workers["w2"].pid, signal.SIGKILL)  # the worker and its extraction processes
            assert workers["w2"].wait(timeout=30) == -signal.SIGKILL
            # Dead once its heartbeat expired, whether or not w1 has reaped it yet.
            deadline = time.monotonic() + 120
            while worker_states(crawl).get("w2") != "dead":
                assert time.monotonic() < deadline, crawl
                time.sleep(0.5)
                status, crawl = listed(archive, redis_server.url)
            assert worker_states(crawl) == {"w1": "running", "w2": "dead"}, crawl
            assert status == 0 and crawl["state"] == "running" and crawl["frontier"]["running_workers"] == 1

            server.wake_sleepers()  # the pages answer: w1 fetches the rest, w2's leases too
            codes = wait_all({"w1": workers["w1"]})
        finally:
            for process in workers.values():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
    finally:
        server.stop()
    assert codes == {"w1": 0}, (tmp_path / "w1.log").read_text()[-3000:]
    status, crawl = listed(archive, redis_server.url)
    assert status == 0 and crawl["state"] == "complete", crawl
    assert worker_states(crawl) == {"w1": "done", "w2": "dead"} and crawl["frontier"] is None
    manifest = json.loads((archive / "shared" / "manifest.json").read_text())
    assert {w: entry["state"] for w, entry in manifest["workers"].items()} == worker_states(crawl)


def test_scrapy_crawls_sees_an_expired_heartbeat_without_reaping_it(redis_server: RedisServer,
                                                                   tmp_path: Path) -> None:
    """A worker silent past its lease timeout is shown dead before any worker reaps it, and
    looking changes nothing: it stays registered running, its lease held."""
    archive = tmp_path / "archive"
    (archive / "shared" / "warc").mkdir(parents=True)  # the crawl's folder, nothing written yet
    alive = RedisFrontier.from_url(redis_server.url, "shared", "w1", lease_timeout=600)
    silent = RedisFrontier.from_url(redis_server.url, "shared", "w2", lease_timeout=0.5)
    alive.join()
    silent.join()
    for n in range(3):
        alive.push(f"request {n}".encode(), fingerprint=str(n))
    assert silent.pop() is not None
    deadline = time.monotonic() + 30
    while (snapshot := crawl_snapshot(alive.client, "shared")) is not None and snapshot.workers["w2"].alive:
        assert time.monotonic() < deadline
        time.sleep(0.1)

    status, crawl = listed(archive, redis_server.url)
    assert status == 0 and crawl["state"] == "running"  # w1 runs, on whichever machine
    assert crawl["workers"] == [
        {"worker": "w1", "state": "running", "pages": None, "articles": None},
        {"worker": "w2", "state": "dead", "pages": None, "articles": None},
    ]
    assert crawl["frontier"] == {"queued": 2, "leased": 1, "running_workers": 1}
    assert alive.workers() == {"w1": "running", "w2": "running"}  # not reaped
    assert alive.pending() == (2, 1, 2)  # its lease still held
    table = run_scrapy("crawls", str(archive), "-s", f"ARCHIVE_FRONTIER={redis_server.url}", timeout=120)
    assert table.returncode == 0 and "    worker w2: dead, ? pages, ? articles" in table.stdout, table.stdout
    assert "    frontier: queued 2, leased 1" in table.stdout.splitlines()

    # Every worker gone: the crawl is resumable (its queue is in Redis), whatever is local.
    alive.release_worker("stopped")
    alive.reap()
    status, crawl = listed(archive, redis_server.url)
    assert status == 1 and crawl["state"] == "resumable" and crawl["failed"]
    assert worker_states(crawl) == {"w1": "stopped", "w2": "dead"}
    assert crawl["frontier"] == {"queued": 3, "leased": 0, "running_workers": 0}
    assert any("scrapy finish shared" in problem for problem in crawl["problems"]), crawl["problems"]


def test_a_running_workers_progress_is_listed_but_never_counted_in_the_crawl(redis_server: RedisServer,
                                                                             tmp_path: Path) -> None:
    """Each heartbeat carries the worker's counts so far: `scrapy crawls` shows them for a
    worker that is running (on S3 there are no local files to count), and for one that died
    its last ones; the crawl's totals in the manifest still come from final reports and,
    for a dead worker, from its files."""
    archive = tmp_path / "archive"
    (archive / "shared" / "warc").mkdir(parents=True)
    w1 = RedisFrontier.from_url(redis_server.url, "shared", "w1", lease_timeout=600)
    w2 = RedisFrontier.from_url(redis_server.url, "shared", "w2", lease_timeout=600)
    w1.join()
    w2.join()
    w1.heartbeat({"archive/warc/responses": 40, "archive/text/articles": 31})
    w2.heartbeat({"archive/warc/responses": 12, "archive/text/articles": 9})
    status, crawl = listed(archive, redis_server.url)
    assert status == 0 and crawl["workers"] == [
        {"worker": "w1", "state": "running", "pages": 40, "articles": 31},
        {"worker": "w2", "state": "running", "pages": 12, "articles": 9},
    ], crawl["workers"]
    # w2 ends and reports: its final stats replace its progress; w1's progress is no report.
    w2.add_stats({"archive/warc/responses": 15, "archive/text/articles": 11})
    status, crawl = listed(archive, redis_server.url)
    assert [w["pages"] for w in crawl["workers"]] == [40, 15]
    assert w1.worker_stats() == {"w2": {"archive/warc/responses": 15, "archive/text/articles": 11}}
    assert w1.crawl_stats() == {"archive/warc/responses": 15, "archive/text/articles": 11}
