"""WET files: the clean text of each article as a WARC ``conversion`` record.

As Common Crawl's WET files: a warcinfo record first, then one ``conversion`` record a
page, referring to the response it was extracted from (``WARC-Refers-To``), with the
same target URI and the identified language. The writer takes any object with
``write``: the crawl's archive keeps ``wet/<stem>.warc.wet.gz`` beside each text segment,
written row by row with it (:class:`scraper.archive.segments.CrawlArchive`), and ``scrapy
reextract`` writes them for WARCs of any origin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from scraper.archive import warc

__all__ = [
    "WetWriter",
    "iso639_3",
    "wet_fields",
    "wet_text",
]

# ISO 639-1 -> ISO 639-3 (the 639-2/T code; macrolanguages for the ambiguous ones),
# because Common Crawl's WET files name languages by their three-letter codes.
_ISO639_PAIRS = (
    "aaaar ababk aeave afafr akaka amamh anarg arara asasm avava ayaym azaze babak bebel bgbul bibis "
    "bmbam bnben bobod brbre bsbos cacat ceche chcha cocos crcre csces cuchu cvchv cycym dadan dedeu "
    "dvdiv dzdzo eeewe elell eneng eoepo esspa etest eueus fafas ffful fifin fjfij fofao frfra fyfry "
    "gagle gdgla glglg gngrn guguj gvglv hahau heheb hihin hohmo hrhrv hthat huhun hyhye hzher iaina "
    "idind ieile igibo iiiii ikipk ioido isisl itita iuiku jajpn jvjav kakat kgkon kikik kjkua kkkaz "
    "klkal kmkhm knkan kokor krkau kskas kukur kvkom kwcor kykir lalat lbltz lglug lilim lnlin lolao "
    "ltlit lulub lvlav mgmlg mhmah mimri mkmkd mlmal mnmon mrmar msmsa mtmlt mymya nanau nbnob ndnde "
    "nenep ngndo nlnld nnnno nonor nrnbl nvnav nynya ococi ojoji omorm orori ososs papan pipli plpol "
    "pspus ptpor quque rmroh rnrun roron rurus rwkin sasan scsrd sdsnd sesme sgsag sisin skslk slslv "
    "smsmo snsna sosom sqsqi srsrp ssssw stsot susun svswe swswa tatam tetel tgtgk ththa titir tktuk "
    "tltgl tntsn toton trtur tstso tttat tytah uguig ukukr ururd uzuzb veven vivie vovol wawln wowol "
    "xhxho yiyid yoyor zazha zhzho zuzul"
)
ISO639_3 = {pair[:2]: pair[2:] for pair in _ISO639_PAIRS.split()}


def iso639_3(language: str | None) -> str | None:
    """``"en"`` or ``"en-GB"`` -> ``"eng"``; an unknown code passes through as given."""
    if not language:
        return None
    primary = language.strip().replace("_", "-").split("-", 1)[0].lower()
    if len(primary) == 3:
        return primary
    return ISO639_3.get(primary, language.strip())


def wet_text(row: Mapping[str, Any]) -> str:
    """The block of a conversion record: the title, a blank line, then the text (as WET).

    The title is not repeated when the extracted text already starts with it.
    """
    title = (row.get("title") or "").strip()
    text = row.get("text") or ""
    if not title or text.startswith(title):
        return text
    return f"{title}\n\n{text}"


def wet_fields(crawl_id: str, source: str, extractor: str) -> list[tuple[str, str]]:
    """The warcinfo fields of a WET file: what it was made from and by what."""
    return [
        ("software", extractor),
        ("format", "WARC File Format 1.1"),
        ("conformsTo", "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"),
        ("isPartOf", crawl_id),
        ("description", f"Clean text of the articles in {source}, one conversion record each"),
        ("source", source),
    ]


class _Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


class WetWriter:
    """Writes a WET file to a binary file object: warcinfo first, then conversion records.

    Each record is one gzip member, written with one ``write`` call, as in the WARCs.
    """

    def __init__(self, out: _Writable, filename: str, fields: list[tuple[str, str]], *,
                 gzip_level: int):
        self.out = out
        self.gzip_level = gzip_level
        info = warc.warcinfo_record(filename, fields)
        self.warcinfo_id = info.record_id
        self._write(info)
        self.records = 0

    def _write(self, record: warc.WarcRecord) -> None:
        self.out.write(warc.gzip_member(record.to_bytes(), self.gzip_level))

    def write_row(self, row: Mapping[str, Any]) -> warc.WarcRecord:
        """One conversion record for a text row (the schema of ``text/*.jsonl.gz``)."""
        record = warc.conversion_record(
            row["url"],
            wet_text(row).encode("utf-8"),
            date=row.get("fetched_at") or warc.warc_date(),
            refers_to=row.get("warc_record_id"),
            language=iso639_3(row.get("language")),
            warcinfo_id=self.warcinfo_id,
        )
        self._write(record)
        self.records += 1
        return record
