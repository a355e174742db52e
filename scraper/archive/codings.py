"""HTTP content codings undone by our own readers: gzip, deflate (zlib or raw), br, zstd.

warcio decodes gzip and deflate, fails on Brotli with the brotli 1.2 installed beside
Scrapy, and knows no zstd; a WARC from any crawler may hold all four. Every decoder
stops at a size cap (the caller's), so a small body that inflates without end (a
decompression bomb) costs at most that much memory. Transfer-encoding (chunking) is
the reader's business, not this module's.
"""

from __future__ import annotations

import io
import zlib

import brotli
import zstandard

__all__ = ["CODINGS", "DecodeError", "TooLarge", "decode_body"]

#: Content codings we decode, by their HTTP names (``x-gzip`` is gzip's old name).
CODINGS = ("gzip", "x-gzip", "deflate", "br", "zstd", "identity")


class DecodeError(ValueError):
    """A body that cannot be decoded: an unknown coding, corrupt data, or more than the cap."""


class TooLarge(DecodeError):
    """A body that decodes to more bytes than the caller's cap."""


def _zlib(body: bytes, wbits: int, cap: int) -> bytes:
    decompressor = zlib.decompressobj(wbits)
    out = decompressor.decompress(body, cap + 1)
    while decompressor.unused_data and wbits > zlib.MAX_WBITS and len(out) <= cap:  # gzip: more members
        rest = decompressor.unused_data
        decompressor = zlib.decompressobj(wbits)
        out += decompressor.decompress(rest, cap + 1 - len(out))
    return out


def _deflate(body: bytes, cap: int) -> bytes:
    try:  # RFC 9110's deflate is zlib-wrapped; some servers send raw deflate all the same
        return _zlib(body, zlib.MAX_WBITS, cap)
    except zlib.error:
        return _zlib(body, -zlib.MAX_WBITS, cap)


def _brotli(body: bytes, cap: int) -> bytes:
    decompressor = brotli.Decompressor()
    out = decompressor.process(body, output_buffer_limit=cap + 1)
    while len(out) <= cap and not decompressor.is_finished() and not decompressor.can_accept_more_data():
        out += decompressor.process(b"", output_buffer_limit=cap + 1 - len(out))
    return out


def _zstd(body: bytes, cap: int) -> bytes:
    with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body), read_across_frames=True) as reader:
        out = bytearray()
        while len(out) <= cap:
            block = reader.read(min(1 << 20, cap + 1 - len(out)))
            if not block:
                break
            out += block
    return bytes(out)


def decode_body(body: bytes, content_encoding: str, max_bytes: int) -> bytes:
    """``body`` with its ``Content-Encoding`` undone (codings listed in the order applied).

    Raises :class:`DecodeError` for a coding not in :data:`CODINGS`, data its decoder
    rejects, or (:class:`TooLarge`) a coding that decodes to more than ``max_bytes``. The
    cap is on what decoding makes: a body with no coding (or ``identity`` alone) comes
    back as given, whatever its size, so a caller that caps pages checks that itself.
    """
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    for coding in reversed(codings):
        try:
            if coding in ("gzip", "x-gzip"):
                body = _zlib(body, zlib.MAX_WBITS | 16, max_bytes)
            elif coding == "deflate":
                body = _deflate(body, max_bytes)
            elif coding == "br":
                body = _brotli(body, max_bytes)
            elif coding == "zstd":
                body = _zstd(body, max_bytes)
            elif coding != "identity":
                raise DecodeError(f"unknown content coding {coding!r}")
        except (zlib.error, brotli.error, zstandard.ZstdError) as error:
            raise DecodeError(f"cannot decode {coding}: {error!r}") from error
        if len(body) > max_bytes:
            raise TooLarge(f"{coding} body decodes to more than {max_bytes} bytes")
    return body
