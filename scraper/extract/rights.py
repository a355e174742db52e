"""Access and rights a page declares: paywall state, TDMRep, robots directives, licence.

Pure functions over a parsed page, the response's header values and the site's
``/.well-known/tdmrep.json`` (read here, fetched by :mod:`scraper.tdmrep`). The row fields:

* ``access``: ``"paywalled"`` when the page says part of it is not free (JSON-LD
  ``isAccessibleForFree`` false, alone or in a ``hasPart`` with a ``cssSelector``,
  ``article:content_tier`` locked or metered, or a paywall container in the markup),
  ``"free"`` when it says it is free, else ``"unknown"``;
* ``rights``: ``tdm_reservation`` (1 reserved, 0 not, null unsaid) and ``tdm_policy``
  (a URL) per W3C TDMRep, from the site's file, the HTTP headers and the HTML meta tags
  in the order of its "Processing priority" (:func:`merge_rights`); ``tdm_file``, what the
  site's file was; ``robots``, the directives of ``<meta name="robots">`` and
  ``X-Robots-Tag`` (lower case, sorted); ``license``, the page's ``rel=license`` link or
  JSON-LD ``license``.

TDMRep is the W3C Community Group's Final Report of 10 May 2024,
https://www.w3.org/community/reports/tdmrep/CG-FINAL-tdmrep-20240510/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

from lxml import etree

from scraper.extract.jsonld import json_ld_objects

if TYPE_CHECKING:
    from lxml.html import HtmlElement

__all__ = ["ACCESS_VALUES", "MAX_TDMREP_BYTES", "RIGHTS_HEADERS", "TDMREP_PATH", "TDM_FILE_VALUES", "TdmRepFile",
           "TdmRule", "header_rights", "merge_rights", "origin_of", "page_access", "page_rights", "read_tdmrep_file"]

# Response headers that carry rights signals: robots directives and W3C TDMRep.
RIGHTS_HEADERS = ("X-Robots-Tag", "tdm-reservation", "tdm-policy")

ACCESS_VALUES = ("free", "paywalled", "unknown")
#: Where TDMRep's site-wide file lives on an origin (its "TDM File on the Origin Server").
TDMREP_PATH = "/.well-known/tdmrep.json"
#: ``rights.tdm_file``: the file was read (``found``), answered other than 2xx (``absent``:
#: TDMRep reads that as "does not implement this protocol"), or was no JSON array of rules
#: (``invalid``). A row whose origin's file was not fetched has null.
TDM_FILE_VALUES = ("found", "absent", "invalid")
#: A larger tdmrep.json is not parsed (``invalid``): a real one is a few rules long.
MAX_TDMREP_BYTES = 1 << 20
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


def page_access(tree: HtmlElement, ld: Sequence[dict[str, Any]] | None = None) -> str:
    """``"free"``, ``"paywalled"`` or ``"unknown"`` for the page (see the module docstring).

    ``ld``: the page's JSON-LD objects when the caller has read them already
    (:func:`~scraper.extract.jsonld.json_ld_objects`), else they are read here.
    """
    said_free = False
    for obj in json_ld_objects(tree) if ld is None else ld:
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


def page_rights(tree: HtmlElement, url: str, ld: Sequence[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The rights signals in the page itself: TDMRep meta tags, robots meta, licence.

    ``ld``: the page's JSON-LD objects, as for :func:`page_access`.
    """
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
        for obj in json_ld_objects(tree) if ld is None else ld:
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


# -- the site's /.well-known/tdmrep.json ------------------------------------------------------

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PRINTABLE_ASCII = "".join(map(chr, range(0x21, 0x7F)))
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


def _normal_path(path: str) -> str:
    """A path (or pattern) in one spelling for comparison: %-escapes of unreserved characters
    decoded, other escapes in upper case, characters outside printable ASCII %-escaped as UTF-8."""
    def unescape(match: re.Match[str]) -> str:
        char = chr(int(match[1], 16))
        return char if char in _UNRESERVED else "%" + match[1].upper()

    return _ESCAPE.sub(unescape, quote(path, safe=_PRINTABLE_ASCII))


def _request_path(url: str) -> str:
    """What a location pattern is matched against: the URL's path and query, as robots.txt rules are."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # "$" and "*" are special in patterns, which spell them %24 and %2A: so must the path.
    return _normal_path(path).replace("$", "%24").replace("*", "%2A")


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower case, the scheme's default port left out:
    the server a tdmrep.json speaks for. Raises ``ValueError`` for a URL without a host."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"no host in {url!r}")
    scheme = parts.scheme.lower()
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = parts.port
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


@dataclass(frozen=True)
class TdmRule:
    """One rule of a tdmrep.json: a ``location`` pattern and the TDMRep values it gives.

    Patterns follow robots.txt's (TDMRep reuses draft-koster-rep 2.2.3, as Google reads it):
    matched from the start of the path (and query), case sensitive; ``*`` is any run of
    characters, a final ``$`` ends the match; %-escapes compare equal to what they escape.
    """

    location: str
    reservation: int | None  # None: the rule's value was no 0 or 1, a protocol error read as unset
    policy: str | None
    _anchored: bool = field(init=False, repr=False, compare=False)
    _parts: tuple[str, ...] = field(init=False, repr=False, compare=False)  # the literal runs between "*"

    def __post_init__(self) -> None:
        anchored = self.location.endswith("$")
        object.__setattr__(self, "_anchored", anchored)
        object.__setattr__(self, "_parts", tuple(_normal_path(self.location[:-1] if anchored else self.location)
                                                 .split("*")))

    def matches(self, url: str) -> bool:
        """Whether the rule covers ``url`` (only its path and query are looked at)."""
        path = _request_path(url)
        anchored = self._anchored
        first, *rest = self._parts
        if not path.startswith(first):
            return False
        at = len(first)
        if not rest:
            return not anchored or at == len(path)
        *middle, last = rest
        for part in middle:  # leftmost placement of each literal run leaves the most room after it
            found = path.find(part, at)
            if found < 0:
                return False
            at = found + len(part)
        if anchored:
            return len(path) - len(last) >= at and path.endswith(last)
        return path.find(last, at) >= 0


@dataclass(frozen=True)
class TdmRepFile:
    """An origin's ``/.well-known/tdmrep.json`` as read: ``status`` (one of
    :data:`TDM_FILE_VALUES`), its rules in file order, and what was wrong with it, if anything
    (a reason a line, for the log)."""

    status: str
    rules: tuple[TdmRule, ...] = ()
    problems: tuple[str, ...] = ()

    def rule_for(self, url: str) -> TdmRule | None:
        """The rule for ``url``: the first that matches (TDMRep: "the most specific match is
        the first in sequence"), or None (then the file leaves ``tdm-reservation`` unset)."""
        return next((rule for rule in self.rules if rule.matches(url)), None)


def read_tdmrep_file(status: int, body: bytes, url: str) -> TdmRepFile:
    """The tdmrep.json answer ``url`` gave (HTTP ``status``, decoded ``body``).

    TDMRep: a JSON array of objects, each with ``location`` and ``tdm-reservation`` (0 or 1)
    and optionally ``tdm-policy`` (a URL; a relative one is taken relative to ``url``). A
    non-2xx answer is ``absent``; a body that is no JSON array (or over
    :data:`MAX_TDMREP_BYTES`) is ``invalid``, with no rules. Within a valid file, an entry
    that is no object or has no location path is left out, and a reservation other than
    0 or 1 is unset (TDMRep's protocol error); each is a line of ``problems``. Never raises.
    """
    if not 200 <= status < 300:
        return TdmRepFile("absent")
    if len(body) > MAX_TDMREP_BYTES:
        return TdmRepFile("invalid", problems=(f"{len(body)} bytes, over {MAX_TDMREP_BYTES}",))
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:  # not UTF-8 or not JSON; nested too deep
        return TdmRepFile("invalid", problems=(f"not JSON: {error}",))
    if not isinstance(document, list):
        return TdmRepFile("invalid", problems=(f"a JSON {type(document).__name__}, not an array of rules",))
    rules: list[TdmRule] = []
    problems: list[str] = []
    for number, entry in enumerate(document, 1):
        if not isinstance(entry, dict):
            problems.append(f"rule {number}: not an object, left out")
            continue
        location = entry.get("location")
        if not isinstance(location, str) or not location.startswith(("/", "*")):
            problems.append(f"rule {number}: location {location!r} is no path pattern, left out")
            continue
        value = entry.get("tdm-reservation")
        reservation = _tdm_reservation(str(value)) if isinstance(value, (int, str)) and not isinstance(
            value, bool) else None
        if reservation is None:
            problems.append(f"rule {number}: tdm-reservation {value!r} is neither 0 nor 1, read as unset")
        policy = entry.get("tdm-policy")
        if policy is not None and not (isinstance(policy, str) and policy.strip()):
            problems.append(f"rule {number}: tdm-policy {policy!r} is no URL, left out")
            policy = None
        rules.append(TdmRule(location, reservation, urljoin(url, policy.strip()) if policy else None))
    return TdmRepFile("found", tuple(rules), tuple(problems))


def merge_rights(page: Mapping[str, Any], headers: Mapping[str, str], *, url: str = "",
                 site: TdmRepFile | None = None) -> dict[str, Any]:
    """The row's ``rights`` for the page at ``url``: its own signals (:func:`page_rights`),
    the response's ``headers`` and its origin's tdmrep.json (``site``; None: not fetched).

    TDMRep values follow the Final Report's "Processing priority": the site's file first,
    then the HTTP header fields, whose values "supercede any value inferred from a TDM file",
    then the HTML meta tags, whose values "supercede previous values"; and "the absence of
    tdm-reservation and tdm-policy MUST not reset current values", so each of the two is
    taken from the last source that gives it. Robots directives are those of both the page
    and the headers.
    """
    sent = header_rights(headers)
    rule = site.rule_for(url) if site is not None else None
    reservation, policy = (rule.reservation, rule.policy) if rule is not None else (None, None)
    for source in (sent, page):
        if source.get("tdm_reservation") is not None:
            reservation = source["tdm_reservation"]
        if source.get("tdm_policy"):
            policy = source["tdm_policy"]
    return {
        "tdm_reservation": reservation,
        "tdm_policy": policy,
        "tdm_file": site.status if site is not None else None,
        "robots": sorted(set(page.get("robots", [])) | set(sent["robots"])),
        "license": page.get("license"),
    }
