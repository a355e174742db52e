"""``make bench-distributed``: the crawl on a Redis frontier against the crawl of one process.

On the 1,000-page benchmark site (its own process), rounds of three runs, interleaved:

(a) one ``scrapy crawl`` without Redis, two extraction workers (the single-process crawl);
(b) one ``scrapy crawl`` on a Redis frontier (``ARCHIVE_FRONTIER``), two extraction workers;
(c) two ``scrapy crawl`` processes on the same frontier and crawl id, one extraction worker each.

Each frontier run gets a fresh ``redis-server`` (Debian's), so its peak memory is the run's.
Printed: pages/s (wall time from the first start to the last exit), Redis commands and
bytes (in + out) a page, the commands a page by name, and Redis's peak memory, in all and a
page. Then ``redis-benchmark`` against the same server measures what each kind of command
costs (our Lua scripts run as they are), and from the command mix of (c) it estimates how
many pages/s one Redis serves. Figures only; it asserts nothing. docs/distributed.md
explains them.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.bench import CRAWL_SETTINGS, ROOT, SiteProcess, crawl_environment, write_urls
from benchmarks.site import DEFAULT_CORPUS, BenchSite
from sample_site.command import crawl_command, scrapy_script
from scraper.frontier import redis as frontier_scripts
from tests.support.redisserver import RedisServer, find_redis_server

WORK_DIR = ROOT / ".bench" / "distributed"


@dataclass
class Run:
    name: str
    pages: int
    wall_seconds: float
    responses: int
    articles: int
    commands: dict[str, int]  # Redis command -> calls during the run
    net_bytes: int
    peak_memory: int
    redis_cpu_seconds: float  # the server's user + system CPU during the run

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.wall_seconds


def info(server: RedisServer, section: str) -> dict[str, str]:
    raw = server.client().execute_command("INFO", section)
    if isinstance(raw, dict):
        return {str(k): str(v) if not isinstance(v, dict) else json.dumps(v) for k, v in raw.items()}
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith("#"))


def command_calls(server: RedisServer) -> dict[str, int]:
    """Calls per command so far (``INFO commandstats``)."""
    calls = {}
    for name, value in info(server, "commandstats").items():
        match = re.search(r"calls[=\"':\s]+(\d+)", value)
        if name.startswith("cmdstat_") and match:
            calls[name.removeprefix("cmdstat_")] = int(match.group(1))
    return calls


def run(name: str, site: SiteProcess, urls_file: Path, pages: int, run_dir: Path, processes: int,
        extract_workers: int, frontier: bool) -> Run:
    archive = run_dir / name
    shutil.rmtree(archive, ignore_errors=True)
    server: RedisServer | None = None
    if frontier:
        (run_dir / f"redis-{name}").mkdir(parents=True, exist_ok=True)
        server = RedisServer(run_dir / f"redis-{name}")
        server.start()
    try:
        before = command_calls(server) if server else {}
        net_before = _net_bytes(server) if server else 0
        cpu_before = _cpu_seconds(server) if server else 0.0
        settings = {**CRAWL_SETTINGS, "ARCHIVE_URI": str(archive), "ARCHIVE_CRAWL_ID": "bench",
                    "ARCHIVE_EXTRACT_WORKERS": str(extract_workers)}
        started = time.perf_counter()
        children = []
        for number in range(processes):
            worker = dict(settings)
            if server is not None:
                worker |= {"ARCHIVE_FRONTIER": server.url, "ARCHIVE_WORKER_ID": f"w{number + 1}"}
            log = (run_dir / f"{name}-{number + 1}.log").open("w")
            command = crawl_command({"urls_file": str(urls_file), "requisites": "0"}, worker, launcher=scrapy_script())
            children.append(subprocess.Popen(command, cwd=ROOT, env=crawl_environment(), stdout=log,
                                             stderr=subprocess.STDOUT))
        codes = [child.wait() for child in children]
        wall = time.perf_counter() - started
        if any(codes):
            raise RuntimeError(f"{name}: a crawl failed ({codes}); logs in {run_dir}")
        commands = {k: v - before.get(k, 0) for k, v in command_calls(server).items()} if server else {}
        commands = {k: v for k, v in commands.items() if v and k not in ("info", "ping", "client|setinfo")}
        net = _net_bytes(server) - net_before if server else 0
        cpu = _cpu_seconds(server) - cpu_before if server else 0.0
        peak = int(info(server, "memory")["used_memory_peak"]) if server else 0
    finally:
        if server is not None:
            server.stop()
    stats = json.loads((archive / "bench" / "manifest.json").read_text())["stats"]
    return Run(name, pages, wall, int(stats.get("archive/warc/responses", 0)),
               int(stats.get("archive/text/articles", 0)), commands, net, peak, cpu)


def _cpu_seconds(server: RedisServer) -> float:
    cpu = info(server, "cpu")
    return float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])


def _net_bytes(server: RedisServer) -> int:
    stats = info(server, "stats")
    return int(stats["total_net_input_bytes"]) + int(stats["total_net_output_bytes"])


# -- redis-benchmark -------------------------------------------------------------------------

#: What redis-benchmark runs for each kind of command our workers send: the Lua scripts as
#: the frontier registers them (EVAL of the same text; Redis caches it), with keys that vary.
def benchmark_commands() -> dict[str, list[str]]:
    return {
        "push (SADD+ZADD script)": ["EVAL", frontier_scripts._PUSH, "3", "df", "q", "l:w",
                                    "fp:__rand_int__", "0", "request-bytes-__rand_int__", ""],
        "pop (lease script)": ["EVAL", frontier_scripts._POP, "3", "q", "l:w", "ids"],
        "ack (HDEL script)": ["EVAL", frontier_scripts._ACK, "1", "l:w", "__rand_int__"],
        "host slot (acquire script)": ["EVAL", frontier_scripts._ACQUIRE_HOST, "2", "h:x", "hn:x",
                                       "w:__rand_int__", "1000000", "60000", "0", "archive:bench"],
        "plain command (ZREM, SISMEMBER, SET...)": ["SISMEMBER", "rows", "url-__rand_int__"],
    }


def redis_benchmark(server: RedisServer, requests: int) -> dict[str, float]:
    """Requests per second of each kind of command, 50 clients, no pipelining."""
    binary = shutil.which("redis-benchmark")
    if binary is None:
        return {}
    rates = {}
    for label, command in benchmark_commands().items():
        if label.startswith("pop"):  # something to pop: a queue as deep as the run
            server.client().zadd("q", {f"request-{n}": 0 for n in range(requests + 1000)})
        done = subprocess.run([binary, "-p", str(server.port), "-n", str(requests), "-r", "1000000", "-q",
                               *command], capture_output=True, text=True, check=True)
        found = re.findall(r"([\d.]+) requests per second", done.stdout)
        if found:
            rates[label] = float(found[-1])
    return rates


def capacity(commands_per_page: dict[str, float], rates: dict[str, float]) -> float:
    """Pages/s one Redis serves at this command mix, by redis-benchmark's rates: every
    EVALSHA at the mean cost of our scripts, every other command at a plain command's. The
    commands our scripts run inside count again as plain ones (``INFO commandstats`` counts
    them too), so this is a lower bound."""
    script_rates = [rate for label, rate in rates.items() if "script" in label]
    plain = rates.get("plain command (ZREM, SISMEMBER, SET...)")
    if not script_rates or not plain:
        return 0.0
    script_rate = statistics.harmonic_mean(script_rates)
    seconds = sum(calls / (script_rate if name.startswith("eval") else plain)
                  for name, calls in commands_per_page.items())
    return 1 / seconds if seconds else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--benchmark-requests", type=int, default=100_000)
    args = parser.parse_args(argv)
    if find_redis_server() is None:
        raise SystemExit("redis-server is not installed: apt-get install redis-server")
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=WORK_DIR))
    site_model = BenchSite.from_corpus(DEFAULT_CORPUS, args.pages)
    runs: dict[str, list[Run]] = {"a": [], "b": [], "c": []}
    with SiteProcess(args.pages, DEFAULT_CORPUS) as site:
        urls_file = run_dir / "urls.txt"
        write_urls(site_model, site.base_url, args.pages, urls_file)
        for round_number in range(args.rounds):
            runs["a"].append(run("a", site, urls_file, args.pages, run_dir, 1, 2, frontier=False))
            runs["b"].append(run("b", site, urls_file, args.pages, run_dir, 1, 2, frontier=True))
            runs["c"].append(run("c", site, urls_file, args.pages, run_dir, 2, 1, frontier=True))
            print(f"round {round_number + 1}: " + ", ".join(
                f"({k}) {v[-1].pages_per_second:.1f} pages/s" for k, v in runs.items()), flush=True)
    medians = {k: sorted(v, key=lambda r: r.pages_per_second)[(len(v) - 1) // 2] for k, v in runs.items()}
    labels = {"a": "one process, no Redis, 2 extraction workers",
              "b": "one process on the Redis frontier, 2 extraction workers",
              "c": "two processes on the Redis frontier, 1 extraction worker each"}
    print(f"\n{args.pages} pages, median of {args.rounds} rounds:")
    print("| run | pages/s | vs (a) | responses | rows | Redis commands a page | Redis bytes a page "
          "| Redis peak memory |")
    print("|---|---|---|---|---|---|---|---|")
    base = medians["a"].pages_per_second
    for key, r in medians.items():
        calls = sum(r.commands.values())
        print(f"| ({key}) {labels[key]} | {r.pages_per_second:.1f} | {r.pages_per_second / base:.2f} | "
              f"{r.responses} | {r.articles} | {calls / r.pages:.1f} | {r.net_bytes / r.pages:,.0f} | "
              + (f"{r.peak_memory / 1e6:.1f} MB ({r.peak_memory / r.pages:,.0f} B a page)" if r.peak_memory else "-")
              + " |")
    c = medians["c"]
    if c.redis_cpu_seconds:
        print(f"\nRedis CPU in (c): {c.redis_cpu_seconds * 1000 / c.pages:.2f} ms a page (INFO cpu): one Redis "
              f"thread serves about {c.pages / c.redis_cpu_seconds:,.0f} pages/s at this mix")
    mix = {name: calls / medians["c"].pages for name, calls in sorted(
        medians["c"].commands.items(), key=lambda item: -item[1])}
    print("\nRedis commands a page in (c): " + ", ".join(f"{name} {n:.2f}" for name, n in mix.items()))
    (run_dir / "redis-benchmark").mkdir()
    with RedisServer(run_dir / "redis-benchmark") as server:
        rates = redis_benchmark(server, args.benchmark_requests)
    if rates:
        print("\nredis-benchmark, 50 clients, on this machine (requests/s):")
        for label, rate in rates.items():
            print(f"  {label}: {rate:,.0f}")
        pages_per_second = capacity(mix, rates)
        print(f"\nOne Redis at (c)'s command mix, by redis-benchmark's rates: at least {pages_per_second:,.0f} "
              f"pages/s, {pages_per_second / (medians['c'].pages_per_second / 2):,.0f} workers of (c)'s speed each")
    else:
        print("\nredis-benchmark not found (Debian's redis-tools): no capacity estimate")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
