"""Tests of the bundled sample site (sample_site/): the built tree, expected.json and the server.

Plain http.client / raw sockets against ``SampleSite``; no Scrapy involved.
"""

from __future__ import annotations

import gzip
import html
import http.client
import json
import re
import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from sample_site import DEFAULT_SITE_DIR, VARIANTS
from sample_site.build import DEFAULT_SEEDS, build_site
from sample_site.server import SampleSite, accepts_gzip, chunk_frames

SITE = DEFAULT_SITE_DIR
NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"
SM_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM_NS = "{http://www.w3.org/2005/Atom}"

Reply = tuple[int, str, list[tuple[str, str]], bytes]


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SITE / "expected.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def site() -> Iterator[SampleSite]:
    with SampleSite(SITE / "contained") as running:
        yield running


@pytest.fixture(scope="module")
def bare_site() -> Iterator[SampleSite]:
    with SampleSite(SITE / "bare") as running:
        yield running


def fetch(site: SampleSite, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> Reply:
    parts = urlsplit(site.base_url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.reason, response.getheaders(), response.read()
    finally:
        conn.close()


def header(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in headers if key.lower() == name.lower()]


def raw_exchange(site: SampleSite, request: bytes) -> bytes:
    """Send raw request bytes, read until the server closes the connection."""
    parts = urlsplit(site.base_url)
    with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=5) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def decode_chunked(data: bytes) -> tuple[list[bytes], bytes]:
    """Strictly parse a chunked body: (data chunks, bytes after the last-chunk)."""
    chunks: list[bytes] = []
    while True:
        size_line, sep, data = data.partition(b"\r\n")
        assert sep, "chunk size line not CRLF-terminated"
        assert re.fullmatch(rb"[0-9a-f]+", size_line), size_line
        size = int(size_line, 16)
        if size == 0:
            return chunks, data
        chunks.append(data[:size])
        assert data[size : size + 2] == b"\r\n", "chunk data not followed by CRLF"
        data = data[size + 2 :]


class VisibleText(HTMLParser):
    """Text of a page as lines: block elements and <br> end a line; script/style skipped."""

    BLOCKS = frozenset(
        "p div li h1 h2 h3 h4 figure figcaption aside section article header footer main nav ul ol "
        "br form title".split()
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)

    @classmethod
    def lines(cls, page: str) -> list[str]:
        parser = cls()
        parser.feed(page)
        return [norm(line) for line in "".join(parser.parts).split("\n") if line.strip()]


def norm(text: str) -> str:
    return " ".join(text.split())  # also folds no-break spaces


def on_page(text: str, lines: list[str]) -> bool:
    wanted = norm(text)
    return any(wanted in line for line in lines)


# --- the built tree and expected.json ------------------------------------------------------


def test_expected_json_shape(expected: dict[str, Any]) -> None:
    assert set(expected["variants"]) == set(VARIANTS)
    kinds = set(expected["boilerplate_kinds"])
    for variant in VARIANTS:
        articles = expected["variants"][variant]["articles"]
        assert len(articles) == 6
        for path, record in articles.items():
            assert path == record["url_path"] and re.fullmatch(r"/\w+/2020/03/02/[a-z0-9-]+/", path)
            assert record["published"].startswith("2020-03-02T") and record["authors"] and record["paragraphs"]
            assert record["html_title"].startswith(record["title"]) and record["html_title"] != record["title"]
            assert {entry["kind"] for entry in record["boilerplate"]} <= kinds
    languages = {r["language"]: r["charset"] for r in expected["variants"]["bare"]["articles"].values()}
    assert languages == {"en": "utf-8", "ar": "windows-1256", "ru": "windows-1251"}
    reference = expected["reference"]
    assert reference["seed"].startswith("001_") and reference["published_as"] in articles
    assert reference["paragraphs"][0].startswith("On March 2nd, Turkey\u2019s nightmare scenario")


def test_site_is_small_and_has_no_001_page(expected: dict[str, Any]) -> None:
    size = sum(f.stat().st_size for f in SITE.rglob("*") if f.is_file())
    assert size < 2_000_000
    seeds = {r["seed"] for r in expected["variants"]["contained"]["articles"].values()}
    assert not any(seed and seed.startswith("001_") for seed in seeds)


@pytest.mark.skipif(not DEFAULT_SEEDS.is_dir(), reason="seed texts not available")
def test_build_is_deterministic_and_committed_tree_is_current(tmp_path: Path) -> None:
    build_site(DEFAULT_SEEDS, tmp_path)
    built = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    committed = {p.relative_to(SITE): p.read_bytes() for p in SITE.rglob("*") if p.is_file()}
    assert built.keys() == committed.keys()
    stale = [str(rel) for rel, data in built.items() if committed[rel] != data]
    assert not stale, f"sample_site/site is stale, rerun python -m sample_site.build: {stale[:3]}"


def test_pdf_is_well_formed(site: SampleSite, expected: dict[str, Any]) -> None:
    status, _, headers, body = fetch(site, expected["server"]["pdf"]["path"])
    assert status == 200 and header(headers, "Content-Type") == ["application/pdf"]
    assert body.startswith(b"%PDF-1.4\n") and body.endswith(b"%%EOF\n")
    assert expected["server"]["pdf"]["text"].encode() in body
    xref_at = int(body.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert body[xref_at:].startswith(b"xref\n0 6\n")
    entries = body[xref_at:].split(b"\n")[3:8]
    for number, entry in enumerate(entries, 1):
        offset = int(entry[:10])
        assert body[offset:].startswith(b"%d 0 obj" % number)


def test_png_served(site: SampleSite) -> None:
    status, _, headers, body = fetch(site, "/images/avatar.png")
    assert status == 200 and header(headers, "Content-Type") == ["image/png"]
    assert body.startswith(b"\x89PNG\r\n\x1a\n") and body.endswith(b"IEND\xaeB`\x82")
    assert not header(headers, "Set-Cookie")


# --- pages carry what expected.json says ---------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_expected_text_and_boilerplate_are_on_the_pages(variant: str, expected: dict[str, Any]) -> None:
    for path, record in expected["variants"][variant]["articles"].items():
        page = (SITE / variant / path.strip("/") / "index.html").read_bytes().decode(record["charset"])
        lines = VisibleText.lines(page)
        missing = [p for p in record["paragraphs"] if not on_page(p, lines)]
        assert not missing, (variant, path, missing[:2])
        absent = [b["text"] for b in record["boilerplate"] if not on_page(b["text"], lines)]
        assert not absent, (variant, path, absent[:2])
        assert on_page(record["title"], lines)
        title = re.search(r"<title>(.*?)</title>", page)
        assert title is not None and html.unescape(title.group(1)) == record["html_title"]
        assert '"@type": "NewsArticle"' in page and "articleBody" not in page
        assert '<meta property="og:type" content="article">' in page
        assert f'<html lang="{record["language"]}"' in page


def test_boilerplate_repeats_on_every_page_of_a_section(expected: dict[str, Any]) -> None:
    for section_path, widgets in expected["section_widgets"].items():
        listing = VisibleText.lines((SITE / "contained" / section_path.strip("/") / "index.html").read_text("utf-8"))
        assert all(on_page(w["text"], listing) for w in widgets), section_path
        articles = [
            r for r in expected["variants"]["contained"]["articles"].values() if r["url_path"].startswith(section_path)
        ]
        assert len(articles) >= 2
        site_level = {w["text"] for w in widgets if w["kind"] in ("callout", "loader", "follow")}
        for record in articles:
            assert site_level <= {b["text"] for b in record["boilerplate"]}, record["url_path"]


def test_contained_and_bare_markup_differ() -> None:
    sf = next((SITE / "contained" / "southfront").glob("2020/03/02/haftars*/index.html")).read_text("utf-8")
    sf_bare = next((SITE / "bare" / "southfront").glob("2020/03/02/haftars*/index.html")).read_text("utf-8")
    assert 'class="donation-widget"' in sf and 'id="wpdcom"' in sf and "<figcaption" in sf
    assert "donation" not in sf_bare and "wpd" not in sf_bare and "<figcaption" not in sf_bare
    assert "<p>1,440 $</p>" in sf_bare and "<p>Notify of</p>" in sf_bare
    body = sf.split('<div class="entry-content">', 1)[1].split("</article>", 1)[0]
    assert 'class="sf-support-callout"' in body  # the call-out sits inside the post container


# --- HTTP behaviour ------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_listed_page_is_served_as_listed(variant: str, expected: dict[str, Any]) -> None:
    with SampleSite(SITE / variant) as running:
        for path, page in expected["variants"][variant]["pages"].items():
            status, _, headers, _ = fetch(running, path)
            assert status == 200, path
            assert header(headers, "Content-Type") == [page["content_type"]], path
            chunked = header(headers, "Transfer-Encoding") == ["chunked"]
            assert chunked == (page["transfer"] == "chunked"), path
            assert chunked != bool(header(headers, "Content-Length")), path
            assert bool(header(headers, "Set-Cookie")) == page["content_type"].startswith("text/html"), path


def test_robots_txt_has_base_and_sitemap(site: SampleSite) -> None:
    status, _, headers, body = fetch(site, "/robots.txt")
    assert status == 200 and header(headers, "Content-Type") == ["text/plain; charset=utf-8"]
    text = body.decode()
    assert f"Sitemap: {site.base_url}/sitemap.xml" in text.splitlines()
    assert "Disallow: /private/" in text and "{base}" not in text


def test_sitemaps_parse(site: SampleSite, expected: dict[str, Any]) -> None:
    status, _, headers, body = fetch(site, "/sitemap.xml")
    assert status == 200 and header(headers, "Content-Type") == ["application/xml"]
    index = ET.fromstring(body)
    assert index.tag == f"{SM_NS}sitemapindex"
    locs = [loc.text or "" for loc in index.iter(f"{SM_NS}loc")]
    assert locs == [f"{site.base_url}/sitemap-articles.xml", f"{site.base_url}/sitemap-pages.xml"]
    news = ET.fromstring(fetch(site, "/sitemap-articles.xml")[3])
    urls = {(u.findtext(f"{SM_NS}loc") or "").removeprefix(site.base_url) for u in news.iter(f"{SM_NS}url")}
    assert urls == set(expected["variants"]["contained"]["articles"])
    assert all(d.text and d.text.startswith("2020-03-02") for d in news.iter(f"{NEWS_NS}publication_date"))
    pages = ET.fromstring(fetch(site, "/sitemap-pages.xml")[3])
    assert f"{site.base_url}/" in [loc.text for loc in pages.iter(f"{SM_NS}loc")]


def test_feeds_parse(site: SampleSite, expected: dict[str, Any]) -> None:
    status, _, headers, body = fetch(site, "/feed.xml")
    assert status == 200 and header(headers, "Content-Type") == ["application/rss+xml"]
    items = ET.fromstring(body).findall("./channel/item")
    links = [(item.findtext("link") or "").removeprefix(site.base_url) for item in items]
    assert sorted(links) == sorted(expected["variants"]["contained"]["articles"])
    assert links[0] == expected["server"]["latest"]
    status, _, headers, body = fetch(site, "/atom.xml")
    assert header(headers, "Content-Type") == ["application/atom+xml"]
    entries = ET.fromstring(body).findall(f"{ATOM_NS}entry")
    assert len(entries) == len(items)
    assert all(e.findtext(f"{ATOM_NS}published", "").startswith("2020-03-02") for e in entries)


def test_gzip_when_accepted(site: SampleSite) -> None:
    _, _, plain_headers, plain = fetch(site, "/")
    status, _, headers, body = fetch(site, "/", {"Accept-Encoding": "gzip, deflate"})
    assert status == 200
    assert header(headers, "Content-Encoding") == ["gzip"] and header(headers, "Vary") == ["Accept-Encoding"]
    assert int(header(headers, "Content-Length")[0]) == len(body) < len(plain)
    assert gzip.decompress(body) == plain
    assert not header(plain_headers, "Content-Encoding") and header(plain_headers, "Vary") == ["Accept-Encoding"]
    assert not header(fetch(site, "/", {"Accept-Encoding": "gzip;q=0"})[2], "Content-Encoding")
    assert accepts_gzip("br, *") and not accepts_gzip("identity")


def test_chunked_framing_on_the_wire(site: SampleSite, expected: dict[str, Any]) -> None:
    path = next(p for p in expected["variants"]["contained"]["articles"] if p.startswith("/newsfront/"))
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    head, _, rest = raw_exchange(site, request).partition(b"\r\n\r\n")
    head_lines = head.decode("latin-1").split("\r\n")
    assert head_lines[0] == "HTTP/1.1 200 OK"
    assert "Transfer-Encoding: chunked" in head_lines
    assert not any(line.lower().startswith("content-length") for line in head_lines)
    chunks, trailer = decode_chunked(rest)
    assert len(chunks) >= 2 and all(chunks) and trailer == b"\r\n"
    page = b"".join(chunks).decode(expected["variants"]["contained"]["articles"][path]["charset"])
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    assert chunk_frames(b"abcde", 2) == [b"3\r\nabc\r\n", b"2\r\nde\r\n", b"0\r\n\r\n"]


def test_chunked_by_query_and_not_for_http10(site: SampleSite) -> None:
    status, _, headers, body = fetch(site, "/?chunked=1", {"Accept-Encoding": "gzip"})
    assert status == 200 and header(headers, "Transfer-Encoding") == ["chunked"]
    assert gzip.decompress(body).startswith(b"<!DOCTYPE html>")
    reply = raw_exchange(site, b"GET /?chunked=1 HTTP/1.0\r\nHost: x\r\n\r\n")
    assert b"Content-Length: " in reply and b"Transfer-Encoding" not in reply


def test_keep_alive_serves_many_requests_on_one_connection(site: SampleSite, expected: dict[str, Any]) -> None:
    chunked_path = next(p for p in expected["variants"]["contained"]["articles"] if p.startswith("/newsfront/"))
    parts = urlsplit(site.base_url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        seen = []
        sockets = set()
        for method, path, headers in [
            ("GET", "/", {}),
            ("GET", chunked_path, {"Accept-Encoding": "gzip"}),
            ("HEAD", chunked_path, {}),
            ("GET", "/latest/", {}),
            ("GET", "/missing", {}),
            ("GET", "/status/204", {}),
            ("GET", "/robots.txt", {}),
        ]:
            conn.request(method, path, headers=headers)
            response = conn.getresponse()
            response.read()
            seen.append(response.status)
            assert not response.will_close
            sockets.add(id(conn.sock))
        assert seen == [200, 200, 200, 301, 404, 204, 200]
        assert len(sockets) == 1  # http.client reconnects silently if the server closes
    finally:
        conn.close()


def test_redirects(site: SampleSite, expected: dict[str, Any]) -> None:
    status, reason, headers, _ = fetch(site, "/latest/")
    assert (status, reason) == (301, "Moved Permanently")
    assert header(headers, "Location") == [site.base_url + expected["server"]["latest"]]
    status, reason, headers, _ = fetch(site, "/old/2019/anything?x=1")
    assert (status, reason, header(headers, "Location")) == (302, "Found", [site.base_url + "/"])
    status, _, headers, _ = fetch(site, "/southfront")
    assert status == 301 and header(headers, "Location") == [site.base_url + "/southfront/"]


def test_not_found_and_hidden_files(site: SampleSite) -> None:
    status, reason, headers, body = fetch(site, "/no/such/page/")
    assert (status, reason) == (404, "Not Found") and b"/no/such/page/" in body
    assert header(headers, "Content-Type") == ["text/html; charset=utf-8"]
    for path in ("/_server.json", "/../expected.json", "/%2e%2e/expected.json", "/.hidden"):
        assert fetch(site, path)[0] == 404, path


def test_base_placeholder_is_substituted_in_pages(site: SampleSite, expected: dict[str, Any]) -> None:
    path = expected["server"]["latest"]
    _, _, headers, body = fetch(site, path)
    page = body.decode("utf-8")
    assert "{base}" not in page
    assert f'<link rel="canonical" href="{site.base_url}{path}">' in page
    assert f'<meta property="og:url" content="{site.base_url}{path}">' in page
    assert int(header(headers, "Content-Length")[0]) == len(body)


def test_repeated_set_cookie_headers(site: SampleSite) -> None:
    _, _, headers, _ = fetch(site, "/southfront/")
    assert header(headers, "Set-Cookie") == ["a=1; Path=/", "b=2; Path=/"]


def test_teapot_reason_phrase_on_the_wire(site: SampleSite) -> None:
    reply = raw_exchange(site, b"GET /teapot HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 418 I'm a teapot\r\n")
    assert b"\r\nX-Teapot: short and stout\r\n" in reply


def test_search_echoes_query_and_paginates(site: SampleSite) -> None:
    status, _, _, body = fetch(site, "/search?q=libya&page=2")
    page = body.decode()
    assert status == 200 and "libya" in page and "Page 2 of 2 (4 results)" in page
    assert page.count("<li>") == 2 and 'href="/search?q=libya&amp;page=1"' in page
    assert "Page 1 of" in fetch(site, "/search?q=libya")[3].decode()
    hostile = fetch(site, "/search?q=%3Cscript%3E")[3].decode()
    assert "&lt;script&gt;" in hostile and "<script>" not in hostile


def test_status_codes_and_flaky(site: SampleSite) -> None:
    status, reason, headers, _ = fetch(site, "/status/503")
    assert (status, reason, header(headers, "Retry-After")) == (503, "Service Unavailable", ["1"])
    assert fetch(site, "/status/429")[:2] == (429, "Too Many Requests")
    assert fetch(site, "/status/500")[0] == 500
    first, second = fetch(site, "/flaky/test-a"), fetch(site, "/flaky/test-a")
    assert first[0] == 503 and header(first[2], "Retry-After") == ["1"]
    assert second[0] == 200
    assert fetch(site, "/flaky/test-b")[0] == 503  # counted per path


def test_slow_pages_are_served_concurrently(site: SampleSite) -> None:
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda i: fetch(site, f"/slow/{i}")[0], range(4)))
    elapsed = time.monotonic() - started
    assert statuses == [200] * 4
    assert 0.5 <= elapsed < 1.5


def test_private_is_served_but_disallowed_and_logged(site: SampleSite, expected: dict[str, Any]) -> None:
    assert fetch(site, "/private/")[0] == 200
    assert expected["variants"]["contained"]["pages"]["/private/"]["robots_allowed"] is False
    fetch(site, "/search?q=log-me", {"User-Agent": "sample-test/1"})
    record = site.requests[-1]
    assert (record.method, record.path) == ("GET", "/search?q=log-me")
    assert record.headers["User-Agent"] == "sample-test/1"
    assert "/private/" in site.requested_paths()


def test_legacy_charsets(bare_site: SampleSite, expected: dict[str, Any]) -> None:
    records = expected["variants"]["bare"]["articles"].values()
    arabic = next(r for r in records if r["language"] == "ar")
    russian = next(r for r in records if r["language"] == "ru")
    _, _, headers, body = fetch(bare_site, arabic["url_path"])
    assert header(headers, "Content-Type") == ["text/html; charset=windows-1256"]
    assert b"charset" not in body.split(b"</head>")[0].lower()
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert arabic["paragraphs"][1] in body.decode("windows-1256")
    _, _, headers, body = fetch(bare_site, russian["url_path"])
    assert header(headers, "Content-Type") == ["text/html"]
    assert b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">' in body
    assert russian["paragraphs"][2] in body.decode("windows-1251")
