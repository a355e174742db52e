"""Project commands, one :class:`~scrapy.commands.ScrapyCommand` a module (``scrapy <module>``).

Scrapy finds them through ``COMMANDS_MODULE = "scraper.commands"`` in scraper/settings.py. ``crawl``
replaces Scrapy's own to exit non-zero when the archive is incomplete.
"""
