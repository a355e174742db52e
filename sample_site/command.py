"""The ``scrapy crawl articles`` command line, built one way for the demo, the tests and the benchmarks.

It lives in ``sample_site``, the lowest of the project's unshipped packages: the tests and
the benchmarks import it, and it imports neither of them (an import contract keeps it so),
so all three can share this one builder. Shipped code (``scraper``, ``spiders``) imports
none of them.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["SPIDER", "crawl_command", "python_m_scrapy", "scrapy_command", "scrapy_script"]

SPIDER = "articles"  # spiders/articles.py: the main job


def python_m_scrapy() -> list[str]:
    """``python -m scrapy`` with the running interpreter: the launcher of the tests and the demo."""
    return [sys.executable, "-m", "scrapy"]


def scrapy_script() -> list[str]:
    """The ``scrapy`` script of the running environment, as users run it (README), else ``python -m scrapy``.

    The two differ in the crawl's children: multiprocessing re-runs a main script in
    its forkserver children, never a ``-m`` main; the benchmarks measure the former.
    """
    script = Path(sys.executable).with_name("scrapy")
    return [str(script)] if script.exists() else python_m_scrapy()


def scrapy_command(*arguments: str, launcher: Sequence[str] | None = None) -> list[str]:
    """``scrapy ARGUMENTS...`` started by ``launcher`` (default :func:`python_m_scrapy`)."""
    return [*(python_m_scrapy() if launcher is None else launcher), *arguments]


def crawl_command(
    arguments: Mapping[str, str], settings: Mapping[str, str], *, launcher: Sequence[str] | None = None,
) -> list[str]:
    """``scrapy crawl articles -a NAME=VALUE... -s NAME=VALUE...``, in the mappings' order.

    ``arguments`` are the spider's (``urls``, ``urls_file``, ``follow``, ``sitemaps``,
    ``feeds``, ``requisites``), ``settings`` Scrapy settings (``ARCHIVE_URI``, ...); values
    are passed as given, as strings. Run it from the project folder (``scrapy.cfg``).
    """
    options: list[str] = []
    for name, value in arguments.items():
        options += ["-a", f"{name}={value}"]
    for name, value in settings.items():
        options += ["-s", f"{name}={value}"]
    return scrapy_command("crawl", SPIDER, *options, launcher=launcher)
