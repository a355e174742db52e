"""Access and rights a page declares: paywall state, TDMRep, robots directives, licence.

Pure functions over a parsed page and the response's header values; nothing is fetched
here (a site's ``/.well-known/tdmrep.json`` would be the spider's job). The row fields:

* ``access``: ``"paywalled"`` when the page says part of it is not free (JSON-LD
  ``isAccessibleForFree`` false, alone or in a ``hasPart`` with a ``cssSelector``,
  ``article:content_tier`` locked or metered, or a paywall container in the markup),
  ``"free"`` when it says it is free, else ``"unknown"``;
* ``rights``: ``tdm_reservation`` (1 reserved, 0 not, null unsaid) and ``tdm_policy``
  (a URL) per W3C TDMRep, from the HTTP headers over the HTML meta tags; ``robots``,
  the directives of ``<meta name="robots">`` and ``X-Robots-Tag`` (lower case, sorted);
  ``license``, the page's ``rel=license`` link or JSON-LD ``license``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from lxml import etree

from scraper.extract.jsonld import json_ld_objects

if TYPE_CHECKING:
    from lxml.html import HtmlElement

__all__ = ["ACCESS_VALUES", "RIGHTS_HEADERS", "header_rights", "merge_rights", "page_access", "page_rights"]

# Response headers that carry rights signals: robots directives and W3C TDMRep.
RIGHTS_HEADERS = ("X-Robots-Tag", "tdm-reservation", "tdm-policy")

ACCESS_VALUES = ("free", "paywalled", "unknown")
# Words in the class or id of the containers paywall vendors and CMSs put where the text stops.
_PAYWALL_WORDS = ("paywall", "pay-wall", "regwall", "premium-content", "subscriber-only", "subscribers-only",
                  "meteredcontent", "piano-offer", "tp-container-inner", "article-locked", "locked-content")
_PAYWALL_MARKER = re.compile("|".join(map(re.escape, _PAYWALL_WORDS)))
# Every class and id value of the page, in one XPath call: one regex over them all costs a
# fraction of an XPath testing each word against each element.
_CLASS_AND_ID_VALUES = etree.XPath("//@class | //@id", smart_strings=False)
_DIRECTIVE = re.compile(r"[a-z][a-z-]*")


def _false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def page_access(tree: HtmlElement) -> str:
    """``"free"``, ``"paywalled"`` or ``"unknown"`` for the page (see the module docstring)."""
    said_free = False
    for obj in json_ld_objects(tree):
        value = obj.get("isAccessibleForFree")
        if _false(value):
            return "paywalled"
        said_free = said_free or _true(value)
    for meta in tree.iterfind(".//meta"):
        if (meta.get("property") or meta.get("name") or "").lower() == "article:content_tier":
            tier = (meta.get("content") or "").strip().lower()
            if tier in ("locked", "metered"):
                return "paywalled"
            said_free = said_free or tier == "free"
    if _PAYWALL_MARKER.search("\n".join(_CLASS_AND_ID_VALUES(tree))):
        return "paywalled"
    return "free" if said_free else "unknown"


def _directives(value: str | None) -> set[str]:
    """The directives of a robots meta or ``X-Robots-Tag`` value ('noindex, noarchive')."""
    found = set()
    for part in (value or "").lower().split(","):
        part = part.strip()
        if ":" in part:  # "googlebot: noarchive" (X-Robots-Tag naming a bot): the directive after it
            part = part.split(":", 1)[1].strip()
        if _DIRECTIVE.fullmatch(part):
            found.add(part)
    return found


def _tdm_reservation(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value in ("0", "1") else None


def page_rights(tree: HtmlElement, url: str) -> dict[str, Any]:
    """The rights signals in the page itself: TDMRep meta tags, robots meta, licence."""
    reservation: int | None = None
    policy: str | None = None
    robots: set[str] = set()
    for meta in tree.iterfind(".//meta"):
        name = (meta.get("name") or "").strip().lower()
        content = meta.get("content")
        if name == "tdm-reservation":
            reservation = _tdm_reservation(content)
        elif name == "tdm-policy" and content and content.strip():
            policy = urljoin(url, content.strip())
        elif name == "robots":
            robots |= _directives(content)
    license_url = None
    for link in tree.iter("a", "link"):
        if "license" in (link.get("rel") or "").lower().split() and link.get("href"):
            license_url = urljoin(url, link.get("href", "").strip())
            break
    if license_url is None:
        for obj in json_ld_objects(tree):
            value = obj.get("license")
            if isinstance(value, dict):
                value = value.get("url") or value.get("@id")
            if isinstance(value, str) and value.strip():
                license_url = urljoin(url, value.strip())
                break
    return {"tdm_reservation": reservation, "tdm_policy": policy, "robots": sorted(robots), "license": license_url}


def header_rights(headers: Mapping[str, str]) -> dict[str, Any]:
    """The rights signals of the response's headers (names in any case): TDMRep and ``X-Robots-Tag``."""
    lower = {k.lower(): v for k, v in headers.items()}
    policy = (lower.get("tdm-policy") or "").strip() or None
    return {
        "tdm_reservation": _tdm_reservation(lower.get("tdm-reservation")),
        "tdm_policy": policy,
        "robots": sorted(_directives(lower.get("x-robots-tag"))),
    }


def merge_rights(page: Mapping[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    """The row's ``rights``: the page's signals, the HTTP headers' TDMRep values over the
    meta tags' (TDMRep's order), robots directives of both."""
    sent = header_rights(headers)
    return {
        "tdm_reservation": sent["tdm_reservation"] if sent["tdm_reservation"] is not None
        else page.get("tdm_reservation"),
        "tdm_policy": sent["tdm_policy"] or page.get("tdm_policy"),
        "robots": sorted(set(page.get("robots", [])) | set(sent["robots"])),
        "license": page.get("license"),
    }
