"""A page whose declared charset does not decode it gets its text from the detected one."""

from __future__ import annotations

from scraper.extract.charset import page_text
from tests.support.crawl import run_crawl
from tests.support.hostile import RUSSIAN_HTML, HostileServer


def test_a_windows_1251_page_declared_utf8_is_extracted_in_russian(tmp_path) -> None:
    server = HostileServer()
    base = server.start()
    try:
        result = run_crawl(tmp_path / "archive", {"urls": f"{base}/h/cp1251-as-utf8 {base}/h/ok", "requisites": "0"})
    finally:
        server.stop()
    assert result.returncode == 0, result.log
    rows = {row["url"]: row for row in result.text_rows()}
    russian = rows[f"{base}/h/cp1251-as-utf8"]
    assert russian["title"] == "Терминал откроется весной"
    assert "Администрация порта сообщила" in russian["text"] and "\ufffd" not in russian["text"]
    assert result.manifest["stats"]["archive/text/charset_fallback"] == 1  # the UTF-8 page kept its charset


def test_a_page_its_declared_charset_decodes_keeps_it() -> None:
    body = "<p>Café au lait, naïve façade \ufffd</p>".encode()  # one U+FFFD the page spells itself
    page = page_text(body, body.decode("utf-8"), "utf-8")
    assert (page.encoding, page.fallback) == ("utf-8", False)
    stray = body + b"\xff"  # one bad byte: the page's fault, not a wrong charset
    assert not page_text(stray, stray.decode("utf-8", "replace"), "utf-8").fallback
    wrong = page_text(RUSSIAN_HTML, RUSSIAN_HTML.decode("utf-8", "replace"), "utf-8")
    assert wrong.fallback and wrong.encoding in ("cp1251", "windows-1251")
    assert wrong.text == RUSSIAN_HTML.decode("cp1251")
