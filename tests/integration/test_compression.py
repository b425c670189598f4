"""HTML, CSV and JSON answers over 1 KiB are gzip-compressed when the client accepts it (with
`Vary: Accept-Encoding`); small answers and PDFs are sent as they are."""

import gzip
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from shared.auth import TokenIssuer, TokenVerifier
from shared.compression import COMPRESS_ON_THE_LOOP_UP_TO_BYTES, accepts_gzip
from shared.http import create_app
from tests.integration.ordering.conftest import Group, Ordering, running_ordering

Client = TestClient[web.Request, web.Application]
GZIP = {"Accept-Encoding": "gzip, deflate, br"}
IDENTITY = {"Accept-Encoding": "identity"}


@pytest.fixture
async def ordering(
    database_url: str,
    amqp_url: str,
    events_exchange: str,
    token_issuer: TokenIssuer,
    token_verifier: TokenVerifier,
) -> AsyncIterator[Ordering]:
    """The ordering app; its test client hands over the bytes as sent (no decompression).
    Its scheduler stays quiet: only how the answers are encoded is looked at."""
    async with running_ordering(
        database_url,
        amqp_url,
        events_exchange,
        token_issuer,
        token_verifier,
        3600,
        auto_decompress=False,
    ) as ordering:
        yield ordering


async def group_with_a_long_catalog(ordering: Ordering) -> Group:
    group = await ordering.new_group()
    for number in range(8):
        await ordering.call(
            "POST",
            f"/v1/groups/{group.id}/products",
            group.coordinator_token,
            {
                "name": f"Farine de blé T{65 + number * 15} bio - moulue sur meule de pierre",
                "category": "Épicerie sèche",
                "unit_label": "kg",
                "unit_price_cents": 180 + number,
                "bulk": True,
            },
            expect=201,
        )
    return group


async def fetch(client: Client, path: str, headers: dict[str, str]) -> tuple[Any, bytes]:
    resp = await client.get(path, headers=headers)
    assert resp.status == 200, resp.status
    return resp, await resp.read()


async def test_a_large_json_answer_is_gzipped_only_when_asked(ordering: Ordering) -> None:
    group = await group_with_a_long_catalog(ordering)
    path = f"/v1/groups/{group.id}/products"
    auth = Ordering.auth(group.coordinator_token)

    plain, plain_body = await fetch(ordering.client, path, {**auth, **IDENTITY})
    assert len(plain_body) > 1024
    assert "Content-Encoding" not in plain.headers
    assert plain.headers["Vary"] == "Accept-Encoding"  # a cache must not mix the two forms
    assert plain.headers["Content-Type"] == "application/json; charset=utf-8"

    packed, packed_body = await fetch(ordering.client, path, {**auth, **GZIP})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["Vary"] == "Accept-Encoding"
    assert packed.headers["Content-Type"] == "application/json; charset=utf-8"
    assert int(packed.headers["Content-Length"]) == len(packed_body) < len(plain_body) / 2
    assert json.loads(gzip.decompress(packed_body)) == json.loads(plain_body)

    refused, refused_body = await fetch(ordering.client, path, {**auth, "Accept-Encoding": "*;q=0"})
    assert "Content-Encoding" not in refused.headers
    assert json.loads(refused_body) == json.loads(plain_body)


async def test_no_accept_encoding_means_no_compression(ordering: Ordering) -> None:
    resp = await ordering.client.get("/openapi.json", skip_auto_headers=["Accept-Encoding"])
    body = await resp.read()
    assert resp.status == 200
    assert len(body) > 1024
    assert "Content-Encoding" not in resp.headers
    assert json.loads(body)["info"]["title"] == "VRAC ordering"


async def test_small_answers_are_untouched(ordering: Ordering) -> None:
    health, body = await fetch(ordering.client, "/healthz", GZIP)
    assert json.loads(body) == {"status": "ok"}
    assert "Content-Encoding" not in health.headers
    assert "Vary" not in health.headers
    refused = await ordering.client.get("/v1/groups/x/products", headers=GZIP)  # no token: 401
    assert refused.status in (401, 404)
    assert "Content-Encoding" not in refused.headers


# A service app as every service builds it (shared.http.create_app), answering each media type.
PAGE = "<!doctype html><title>Feuille</title>" + "<tr><td>Lessive 1 L</td><td>2</td></tr>" * 80
SHEET = "produit;quantité\n" + "Amandes avec peau - en vrac;1,5 kg\n" * 80
# Over COMPRESS_ON_THE_LOOP_UP_TO_BYTES: compressed by aiohttp in its thread, not on the loop.
BIG_SHEET = "produit;membre;quantité\n" + "".join(
    f"Amandes avec peau - en vrac;membre {n};{n % 7},5 kg\n" for n in range(3000)
)
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 20


@pytest.fixture
async def typed_answers() -> AsyncIterator[Client]:
    app = create_app("compression-test", "compression test")

    async def page(_request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def sheet(_request: web.Request) -> web.Response:
        return web.Response(text=SHEET, content_type="text/csv", headers={"Vary": "Cookie"})

    async def pdf(_request: web.Request) -> web.Response:
        return web.Response(body=PDF, content_type="application/pdf")

    app.router.add_get("/page", page)
    app.router.add_get("/sheet.csv", sheet)

    async def big_sheet(_request: web.Request) -> web.Response:
        return web.Response(text=BIG_SHEET, content_type="text/csv")

    app.router.add_get("/order.pdf", pdf)
    app.router.add_get("/big.csv", big_sheet)
    async with TestClient(TestServer(app), auto_decompress=False) as client:
        yield client


async def test_html_and_csv_are_gzipped(typed_answers: Client) -> None:
    page, page_body = await fetch(typed_answers, "/page", GZIP)
    assert page.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(page_body).decode() == PAGE
    sheet, sheet_body = await fetch(typed_answers, "/sheet.csv", GZIP)
    assert sheet.headers["Content-Encoding"] == "gzip"
    assert sheet.headers["Vary"] == "Cookie, Accept-Encoding"  # added to the handler's own
    assert gzip.decompress(sheet_body).decode() == SHEET


async def test_a_large_sheet_is_gzipped_too(typed_answers: Client) -> None:
    assert len(BIG_SHEET.encode()) > COMPRESS_ON_THE_LOOP_UP_TO_BYTES
    sheet, body = await fetch(typed_answers, "/big.csv", GZIP)
    assert sheet.headers["Content-Encoding"] == "gzip"
    assert sheet.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(body).decode() == BIG_SHEET
    plain, plain_body = await fetch(typed_answers, "/big.csv", IDENTITY)
    assert "Content-Encoding" not in plain.headers
    assert plain_body.decode() == BIG_SHEET


async def test_pdf_is_sent_as_it_is(typed_answers: Client) -> None:
    pdf, body = await fetch(typed_answers, "/order.pdf", GZIP)
    assert "Content-Encoding" not in pdf.headers
    assert "Vary" not in pdf.headers
    assert body == PDF


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8, *;q=0.1", True),
        ("*", True),
        ("GZIP", True),
        ("", False),
        ("identity", False),
        ("br", False),
        ("gzip;q=0", False),
        ("gzip;q=0, *", False),
        ("*;q=0", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_accept_encoding(header: str, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted
