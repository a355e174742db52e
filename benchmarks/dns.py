"""A loopback crawl with and without requisites on names whose DNS never answers.

Serves :class:`tests.support.dns.DeadNameSite` on 127.0.0.1 (its pages linked by IP and by
``localhost``) and a name server that answers nothing, and crawls the site three ways:

- ``clean``: pages without dead names (the crawl's own speed on this machine);
- ``dead``: each page with images on ``--dead-per-page`` of ``--dead-hosts`` dead names, the
  crawl's resolver (:mod:`scraper.resolver`) asking the dead name server;
- ``scrapy`` (only with ``--scrapy-pages``): the same pages with Scrapy's
  ``CachingThreadedResolver``. The C library cannot be pointed at a port, so its names go to
  the machine's own resolver: the run shows the stall only where that resolver never answers
  names under ``.test``; where it answers "no such name" at once, it shows nothing.

It prints, for each, the loopback pages fetched per second (first request to last page) and
the whole crawl's time (which ends with the dead names' lookups), writes them to
``.bench/dns/results.json`` and asserts nothing.

    python -m benchmarks.dns [--pages 600] [--dead-hosts 200] [--dead-per-page 10] [--scrapy-pages 0]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.bench import ROOT, WORK_DIR, crawl_environment
from sample_site.command import crawl_command, scrapy_script
from tests.support.dns import DeadNameSite, NameServer

__all__ = ["DnsRun", "main", "run_crawl"]

#: Settings of every run: politeness delays off on loopback, the start hosts at 127.0.0.1 allowed.
SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "ARCHIVE_PROGRESS_INTERVAL": "0",
    "LOG_LEVEL": "INFO",
}


@dataclass
class DnsRun:
    name: str
    pages: int  # loopback pages given as start URLs
    pages_fetched: int
    pages_seconds: float  # from the site's first request to its last page request
    pages_per_second: float  # pages fetched in pages_seconds: what dead names must not slow
    crawl_seconds: float  # Scrapy's elapsed_time_seconds: dead names' lookups end it last
    returncode: int
    finish_reason: str | None
    dns_stats: dict[str, int]


def run_crawl(name: str, run_dir: Path, pages: int, dead_hosts: list[str], dead_per_page: int,
              settings: dict[str, str]) -> DnsRun:
    """Serve the site and a dead name server, crawl ``pages`` pages per host name, measure."""
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    with NameServer() as server, DeadNameSite(dead_hosts, dead_per_page=dead_per_page) as site:
        urls = [f"http://{host}:{site.port}/page/{n}" for host in ("127.0.0.1", "localhost") for n in range(pages)]
        urls_file = run_dir / "urls.txt"
        urls_file.write_text("\n".join(urls) + "\n")
        all_settings = {**SETTINGS, "ARCHIVE_URI": str(run_dir / "crawl"), "ARCHIVE_CRAWL_ID": name,
                        "ARCHIVE_DNS_SERVERS": server.address, **settings}
        command = crawl_command({"urls_file": str(urls_file)}, all_settings, launcher=scrapy_script())
        started = time.perf_counter()
        with (run_dir / "crawl.log").open("w") as log:
            done = subprocess.run(command, cwd=ROOT, env=crawl_environment(), stdout=log, stderr=subprocess.STDOUT)
        wall = time.perf_counter() - started
        page_times = {(host.split(":")[0], path): when for when, host, path in site.requests
                      if path.startswith("/page/")}
        first = min((when for when, _, _ in site.requests), default=0.0)
        pages_seconds = max(page_times.values(), default=first) - first
    manifest_path = run_dir / "crawl" / name / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    stats = manifest.get("stats", {})
    return DnsRun(
        name=name, pages=len(urls), pages_fetched=len(page_times), pages_seconds=pages_seconds,
        pages_per_second=len(page_times) / pages_seconds if pages_seconds else 0.0,
        crawl_seconds=float(stats.get("elapsed_time_seconds", wall)),
        returncode=done.returncode, finish_reason=manifest.get("finish_reason"),
        dns_stats={key: value for key, value in stats.items() if key.startswith("archive/dns/")},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=600, help="pages per host name (127.0.0.1, localhost)")
    parser.add_argument("--dead-hosts", type=int, default=200, help="dead names in all")
    parser.add_argument("--dead-per-page", type=int, default=10, help="dead names each page's images name")
    parser.add_argument("--scrapy-pages", type=int, default=0,
                        help="pages per host name for Scrapy's resolver (default 0: no such run)")
    options = parser.parse_args()
    out = WORK_DIR / "dns"
    dead = [f"dead-{n}.test" for n in range(options.dead_hosts)]
    runs = [
        run_crawl("clean", out / "clean", options.pages, dead, 0, {}),
        run_crawl("dead", out / "dead", options.pages, dead, options.dead_per_page, {}),
    ]
    if options.scrapy_pages:
        runs.append(run_crawl("scrapy", out / "scrapy", options.scrapy_pages, dead, options.dead_per_page,
                              {"TWISTED_DNS_RESOLVER": "scrapy.resolver.CachingThreadedResolver"}))
    for run in runs:
        print(f"{run.name:7} {run.pages_fetched:5}/{run.pages} pages in {run.pages_seconds:7.1f} s: "
              f"{run.pages_per_second:6.1f} pages/s; crawl {run.crawl_seconds:6.1f} s, exit {run.returncode} "
              f"({run.finish_reason})  {run.dns_stats}")
    (out / "results.json").write_text(json.dumps([asdict(run) for run in runs], indent=2) + "\n")


if __name__ == "__main__":
    main()
