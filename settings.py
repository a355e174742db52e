"""Deprecated: the settings moved into the package, ``scraper.settings`` (scrapy.cfg names it).

Kept for one release so a scrapy.cfg or ``SCRAPY_SETTINGS_MODULE`` that still says
``settings`` works; remove in 0.3.
"""

import warnings

from scraper.settings import *  # noqa: F403

warnings.warn("the settings module 'settings' is deprecated: use 'scraper.settings'", DeprecationWarning,
              stacklevel=2)
