"""The page's JSON-LD (schema.org structured data), read once for every reader of it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lxml.html import HtmlElement

__all__ = ["json_ld_objects"]

# Keys whose values are objects of the same page: the graph's members, the parts of a
# work (the paywalled part's cssSelector) and the entity a WebPage is about (its article).
_NESTING_KEYS = ("@graph", "hasPart", "mainEntity")


def json_ld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON object of the page's ``application/ld+json`` scripts, nested ones included.

    Yields the top-level objects and, depth first, those under ``@graph``, ``hasPart`` and
    ``mainEntity``. A script that is not valid JSON is skipped (pages ship broken ones).
    """
    for script in tree.iterfind('.//script[@type="application/ld+json"]'):
        try:
            stack: list[Any] = [json.loads(script.text or "")]
        except ValueError:
            continue
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                stack.extend(v for k, v in item.items() if k in _NESTING_KEYS)
