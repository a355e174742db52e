"""Benchmarks of the archiving crawl: a local news site, the crawl against it, baselines.

``python -m benchmarks.bench`` compares the crawl with a wget + trafilatura pipeline and
with extraction alone in a process pool; ``benchmarks.site`` builds and serves the site;
``benchmarks.profile`` records where the crawl's CPU goes. Nothing here is imported by
the crawler, and generated data lives under ``.bench/`` (git-ignored).
"""
