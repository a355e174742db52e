"""Settings written for release 0.1 name classes by their old paths: they still load, with a warning."""

from __future__ import annotations

import sys

import pytest
from scrapy.utils.misc import load_object

OLD_TO_NEW = {
    "scraper.storage.FileStorage": "scraper.storage.local.FileStorage",
    "scraper.s3.S3Storage": "scraper.storage.s3.S3Storage",
    "scraper.indexing.CdxjIndexDeriver": "scraper.archive.cdxj.CdxjIndexDeriver",
    "scraper.wacz.WaczDeriver": "scraper.archive.wacz.WaczDeriver",
    "scraper.wire.WireCaptureDownloadHandler": "scraper.downloadhandlers.WireCaptureDownloadHandler",
}


@pytest.mark.parametrize(("old", "new"), sorted(OLD_TO_NEW.items()))
def test_an_old_class_path_loads_the_new_class_and_warns(old: str, new: str) -> None:
    sys.modules.pop(old.rsplit(".", 1)[0], None)  # warned once per process: as if first imported here
    with pytest.warns(DeprecationWarning, match="deprecated"):
        assert load_object(old) is load_object(new)


def test_an_unknown_old_style_path_still_fails() -> None:
    with pytest.raises(ModuleNotFoundError, match=r"No module named 'scraper\.no_such_module'"):
        load_object("scraper.no_such_module.Thing")


#: What release 0.1's modules that were later split exported (their ``__all__``).
SPLIT_PUBLIC_NAMES = {
    "scraper.extraction": ["Article", "ExtractionOptions", "PageSignals", "clean_title", "extract_article",
                           "extractor_name", "page_signals", "parse_page", "warm_up"],
    "scraper.boilerplate": ["SiteBoilerplate", "comparable", "filter_paragraphs", "fingerprint", "host_of",
                            "line_kind", "normalise"],
}


@pytest.mark.parametrize("old", sorted(SPLIT_PUBLIC_NAMES))
def test_the_public_names_of_a_module_split_since_still_import_from_it(old: str) -> None:
    import importlib

    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match="deprecated"):
        module = importlib.import_module(old)
    for name in SPLIT_PUBLIC_NAMES[old]:
        value = getattr(module, name)
        assert load_object(f"{getattr(value, '__module__', old)}.{name}") is value, name
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018
