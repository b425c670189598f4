"""gzip for the HTML, CSV and JSON answers over 1 KiB, when the client accepts it.

`compress_answers` is the first middleware of every service app (shared.http.create_app) and of
the web's. An answer up to 64 KiB (every page a member opens) is compressed here, on the event
loop: zlib takes a fraction of a millisecond for it, less than handing it to a thread and back,
which is what aiohttp does above 4 KiB (the pickup page's p95 went from ~55 to ~44 ms at 10 in
flight, docs/performance.md). Larger ones (a coordinator's sheet or CSV of a big distribution)
are left to aiohttp, in its thread. Brotli is not offered: aiohttp's server side knows only gzip
and deflate.
"""

import zlib
from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web
from aiohttp.web_response import ContentCoding

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Answers worth compressing: text that shrinks 4 to 10 times. PDFs and images are compressed
# already; the metrics scrape is for Prometheus on the local network.
COMPRESSIBLE_TYPES = frozenset({"text/html", "text/csv", "application/json"})
COMPRESS_FROM_BYTES = 1024  # below, the gzip header and a round of zlib cost more than they save
COMPRESS_ON_THE_LOOP_UP_TO_BYTES = 64 * 1024
GZIP_WBITS = 16 + zlib.MAX_WBITS  # a gzip member (header and trailer), as aiohttp writes it


@web.middleware
async def compress_answers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    body = _compressible_body(response)
    if body is not None:
        _add_vary(response, hdrs.ACCEPT_ENCODING)  # caches keep one copy per encoding
        if accepts_gzip(request.headers.get(hdrs.ACCEPT_ENCODING, "")):
            if len(body) <= COMPRESS_ON_THE_LOOP_UP_TO_BYTES:
                assert isinstance(response, web.Response), "only a Response has a body"
                response.body = zlib.compress(body, wbits=GZIP_WBITS)
                response.headers[hdrs.CONTENT_ENCODING] = ContentCoding.gzip.value
            else:
                response.enable_compression(ContentCoding.gzip)
    return response


def _compressible_body(response: web.StreamResponse) -> bytes | bytearray | None:
    """The body of an answer worth compressing; None for the others."""
    if not isinstance(response, web.Response) or response.prepared:
        return None  # streamed and file answers are not held in memory
    body = response.body
    media_type = response.content_type
    if (
        isinstance(body, bytes | bytearray)
        and len(body) > COMPRESS_FROM_BYTES
        and hdrs.CONTENT_ENCODING not in response.headers
        and (media_type in COMPRESSIBLE_TYPES or media_type.endswith("+json"))
    ):
        return body
    return None


def _add_vary(response: web.StreamResponse, header: str) -> None:
    vary = response.headers.get(hdrs.VARY, "")
    names = {name.strip().lower() for name in vary.split(",")}
    if "*" not in names and header.lower() not in names:
        response.headers[hdrs.VARY] = f"{vary}, {header}" if vary else header


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether `Accept-Encoding` allows gzip (by name or `*`), honouring `q=0` (RFC 9110)."""
    weights: dict[str, float] = {}
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[coding.strip()] = weight
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0
