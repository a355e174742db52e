"""Imported once by the extraction pool's forkserver: the extractor, warm, before workers fork.

Workers then start with the language model and parsers already in memory, on pages
shared with the forkserver, instead of loading them one by one on their first page.
"""

import gc
import signal

# Ctrl-C signals the whole process group; the crawl then stops gracefully and still needs
# its workers for the pages in hand. Ignored here, first: the forkserver gives its
# children the handlers it had when this preload ended, so a worker ignores SIGINT from
# the moment it is forked, not only once it reaches its loop.
signal.signal(signal.SIGINT, signal.SIG_IGN)

# The extractor's imports come after: the server is protected while it loads them.
import scraper.discovery  # noqa: E402, F401  (the workers find links with it)
from scraper.extraction import warm_up  # noqa: E402

warm_up()
gc.freeze()  # objects made so far are never collected: their pages stay shared after fork
