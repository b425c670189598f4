"""The group's catalog: products (create; price, stock, active flag), and « Copier le catalogue
vers un autre groupe »."""

from aiohttp import web

from shared.clients.accounts import Group
from shared.clients.ordering import Product

from ... import i18n
from ...apiclient import ApiError
from ...clients import accounts, ordering
from ...groups import GroupContext
from ...i18n import _
from ...rendering import render
from ...sessions import User
from ..common import form_values, page_data, page_list, path_uuid, redirect, uuid_or_none
from ..forms import check_form
from ..refusals import refusal_message
from .common import catalog_products, coordinator_page
from .forms import (
    CopyCatalogForm,
    ProductChangeForm,
    ProductForm,
    copy_catalog_messages,
    price_messages,
)

routes = web.RouteTableDef()


@routes.get("/g/{slug}/coord/produits")
async def products(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    return await _products_page(request, user, g)


async def _products_page(
    request: web.Request,
    user: User,
    g: GroupContext,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    items = await catalog_products(request, user, g.id)
    return render(
        request,
        "coord/products.html",
        {
            "products": page_list(items),
            "errors": errors or {},
            "values": values or {"category": "Autres"},
            "saved": request.query.get("ok", ""),
        },
        status=status,
    )


def _product_refusal(error: ApiError) -> dict[str, str]:
    """Ordering's refusal next to the product form's fields, in the catalog's words (its field
    messages are pydantic's English)."""
    messages = {
        "price": _("Indiquez un prix en euros, par exemple 2,25."),
        "stock": _("Indiquez un stock en chiffres, ou laissez vide (illimité)."),
    }
    errors: dict[str, str] = {}
    for name in error.field_errors():
        key = "price" if name == "unit_price_cents" else name
        errors.setdefault(key, messages.get(key) or _("Cette valeur n'est pas valide."))
    errors.setdefault("_form", error.message(i18n.current_language()))
    return errors


@routes.post("/g/{slug}/coord/produits")
async def create_product(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    values = await form_values(request)
    form, errors = check_form(ProductForm, values, price_messages)
    if form is not None:
        try:
            await ordering(request, user).create_product(g.id, form.body())
        except ApiError as error:
            if error.status not in (409, 422):
                raise
            errors = _product_refusal(error)
        else:
            return redirect(f"/g/{g.slug}/coord/produits?ok=1")
    return await _products_page(request, user, g, errors, values, status=422)


@routes.post("/g/{slug}/coord/produits/{product_id}")
async def update_product(request: web.Request) -> web.StreamResponse:
    """Price, stock and active flag of one product."""
    user, g = await coordinator_page(request)
    product_id = path_uuid(request, "product_id")
    values = await form_values(request)
    form, errors = check_form(ProductChangeForm, values, price_messages, under={"price": "_form"})
    if form is not None:
        try:
            await ordering(request, user).update_product(g.id, product_id, form.body())
        except ApiError as error:
            errors["_form"] = refusal_message(error, (404, 409, 422))
        else:
            return redirect(f"/g/{g.slug}/coord/produits?ok=1#p-{product_id}")
    return await _products_page(request, user, g, errors, status=422)


# --- copy the catalog to another group ------------------------------------------------------------


async def _copy_targets(request: web.Request, g: GroupContext) -> list[Group]:
    """The groups this coordinator may copy into: the other groups they coordinate (an
    association admin may copy into any group)."""
    if g.me.admin:
        found = await accounts(request).groups()
    else:
        found = [m.group for m in g.me.memberships if m.role == "coordinator"]
    targets = [group for group in found if str(group.id) != g.id]
    return sorted(targets, key=lambda group: group.name.upper())


async def _copy_page(
    request: web.Request,
    user: User,
    g: GroupContext,
    target_id: str | None,
    errors: dict[str, str] | None = None,
    result: tuple[int, int] | None = None,
    status: int = 200,
) -> web.Response:
    targets = await _copy_targets(request, g)
    errors = dict(errors or {})
    target = next((t for t in targets if str(t.id) == target_id), None)
    if target_id is not None and target is None and "target_group_id" not in errors:
        errors["target_group_id"] = _("Choisissez un groupe dont vous êtes coordinateur.")
        status = 403 if status == 200 else status
    source = await catalog_products(request, user, g.id)
    to_copy: list[Product] = []
    to_skip: list[Product] = []
    if target is not None and result is None:
        existing = {p.name for p in await catalog_products(request, user, str(target.id))}
        for product in source:
            (to_skip if product.name in existing else to_copy).append(product)
    return render(
        request,
        "coord/copy_catalog.html",
        {
            "targets": page_list(targets),
            "target": page_data(target),
            "source": page_list(source),
            "to_copy": page_list(to_copy),
            "to_skip": page_list(to_skip),
            "result": result,
            "errors": errors,
            "values": {"target_group_id": target_id or ""},
        },
        status=status,
    )


@routes.get("/g/{slug}/coord/catalogue/copier")
async def copy_catalog_form(request: web.Request) -> web.StreamResponse:
    """The target group (a GET form: choosing only shows what would happen), then the
    confirmation: which products will be added, which are already there and stay as they are."""
    user, g = await coordinator_page(request)
    raw = request.query.get("vers")
    target_id = uuid_or_none(raw) if raw else None
    if raw and target_id is None:
        return await _copy_page(
            request,
            user,
            g,
            None,
            {"target_group_id": _("Choisissez un groupe dans la liste.")},
            status=422,
        )
    result = None
    copied, skipped = request.query.get("copies", ""), request.query.get("ignores", "")
    if target_id and copied.isdigit() and skipped.isdigit():
        result = (int(copied), int(skipped))
    return await _copy_page(request, user, g, target_id, result=result)


@routes.post("/g/{slug}/coord/catalogue/copier")
async def copy_catalog(request: web.Request) -> web.StreamResponse:
    user, g = await coordinator_page(request)
    values = await form_values(request)
    form, errors = check_form(CopyCatalogForm, values, copy_catalog_messages)
    if form is None:
        return await _copy_page(request, user, g, None, errors, status=422)
    target_id = form.target_group_id
    if target_id not in {str(t.id) for t in await _copy_targets(request, g)}:
        errors = {"target_group_id": _("Choisissez un groupe dont vous êtes coordinateur.")}
        return await _copy_page(request, user, g, None, errors, status=403)
    try:
        # Ordering serialises copies into one group: a double click copies once.
        answer = await ordering(request, user).copy_catalog(g.id, target_id)
    except ApiError as error:
        message = refusal_message(error, (403, 404, 409, 422))
        if error.status == 403:  # in the words of the check above
            message = _("Choisissez un groupe dont vous êtes coordinateur.")
        errors = {"target_group_id": message}
        return await _copy_page(request, user, g, None, errors, status=error.status)
    copied, skipped = answer.copied, answer.skipped
    return redirect(
        f"/g/{g.slug}/coord/catalogue/copier?vers={target_id}&copies={copied}&ignores={skipped}"
    )
