"""Imported once by the extraction pool's fork server: the extractor, warm, before workers fork.

Workers then start with the language model and parsers already in memory, on pages
shared with the fork server, instead of loading them one by one on their first page.
(The server ignores Ctrl-C before it imports this, and its workers inherit that.)
"""

import gc

import scraper.extract.discovery  # noqa: F401  (the workers find links with it)
from scraper.extract.extractor import warm_up

warm_up()
gc.freeze()  # objects made so far are never collected: their pages stay shared after fork
