"""« Bon de commande de l'association »: the total quantity per product across groups (and per
group) for the distributions between two dates; association admins only."""

from datetime import date, datetime
from typing import Any

from aiohttp import web

from ..apiclient import API_KEY, ApiError
from ..clients import accounts, ordering
from ..formatting import PARIS
from ..i18n import _
from ..rendering import render
from ..sessions import User
from .admin import admin_only
from .common import csv_download, page_list
from .coord.forms import DateRangeForm
from .coord.parsing import month_of
from .forms import check_form
from .refusals import refusal_message

routes = web.RouteTableDef()


def _range(request: web.Request) -> tuple[dict[str, str], dict[str, str], tuple[date, date] | None]:
    """The days asked for (default: the current month), their errors, the range when valid."""
    first, last = month_of(datetime.now(PARIS).date())
    values = {
        "du": request.query.get("du", first.isoformat()).strip(),
        "au": request.query.get("au", last.isoformat()).strip(),
    }
    form, errors = check_form(DateRangeForm, values)
    return values, errors, None if form is None else (form.du, form.au)


# Ordering answers the association's purchase order to its administrators only.
@routes.get("/association/bon-de-commande")
@admin_only
async def association_purchase_order(request: web.Request, user: User) -> web.StreamResponse:
    values, errors, dates = _range(request)
    lines: list[dict[str, Any]] = []
    total_cents = 0
    groups = {str(g.id): g.name for g in await accounts(request).groups()}
    if dates is not None:
        try:
            answer = await ordering(request, user).association_purchase_order(*dates)
        except ApiError as error:
            errors["_form"] = refusal_message(error, (403, 422))
        else:
            lines = page_list(answer.lines)
            total_cents = answer.total_cents
    return render(
        request,
        "coord/association_purchase.html",
        {
            "lines": lines,
            "total_cents": total_cents,
            "groups": groups,
            "dates": dates,
            "values": values,
            "errors": errors,
        },
        status=200 if not errors else 422,
    )


@routes.get("/association/bon-de-commande.csv")
@admin_only
async def association_purchase_order_csv(request: web.Request, user: User) -> web.StreamResponse:
    _values, errors, dates = _range(request)
    if dates is None:
        return render(
            request,
            "error.html",
            {"title": _("Dates incorrectes"), "message": " ".join(errors.values())},
            status=422,
        )
    raw = await request.app[API_KEY].raw(
        "ordering",
        "/v1/purchase-order.csv",
        token=user.token,
        params={"from": dates[0].isoformat(), "to": dates[1].isoformat()},
    )
    filename = f"bon-de-commande-vrac-{dates[0].isoformat()}-{dates[1].isoformat()}.csv"
    return csv_download(raw.body, filename)
