"""Association admin pages (SPEC §1.5): list groups, create a group, change a group, name a
coordinator (and show them on the group page)."""

import uuid
from typing import Any

from aiohttp import web

from .. import i18n
from ..apiclient import API_KEY, ApiError
from ..clients import accounts
from ..groups import public_group
from ..i18n import _
from ..rendering import render
from ..sessions import User, require_user
from .common import form_values, page_list, redirect

routes = web.RouteTableDef()

GROUP_FLAGS = ("phone_required", "address_required")


def forbidden_to_non_admins(request: web.Request) -> web.Response:
    return render(
        request,
        "error.html",
        {
            "title": _("Accès refusé"),
            "message": _("Cette page est réservée aux administrateurs de l'association."),
        },
        status=403,
    )


async def admin_user(request: web.Request) -> User | None:
    """The logged-in association admin; None for anybody else (logged out: to the log-in)."""
    user = await require_user(request)
    return user if user.principal.admin else None


def _field_messages() -> dict[str, str]:
    """Readable messages for the fields the accounts API refuses (same rules as its checks)."""
    email = _("Cette adresse e-mail n'est pas valide (exemple : nom@exemple.fr).")
    return {
        "slug": _(
            "Le lien doit faire de 2 à 63 caractères : lettres minuscules sans accent, chiffres "
            "et tirets, en commençant par une lettre ou un chiffre (exemple : 3-cocus)."
        ),
        "name": _("Indiquez le nom du groupe (100 caractères au plus)."),
        "city": _("Indiquez la ville (100 caractères au plus)."),
        "coordinator_name": _("200 caractères au plus."),
        "coordinator_email": email,
        "contact_email": email,
    }


@routes.get("/admin")
async def groups(request: web.Request) -> web.StreamResponse:
    if await admin_user(request) is None:
        return forbidden_to_non_admins(request)
    found = sorted(await accounts(request).groups(), key=lambda g: (g.city, g.name))
    return render(request, "admin/groups.html", {"groups": page_list(found)})


@routes.get("/admin/groupes/nouveau")
async def new_group_form(request: web.Request) -> web.StreamResponse:
    if await admin_user(request) is None:
        return forbidden_to_non_admins(request)
    return render(request, "admin/new_group.html")


def _group_body(values: dict[str, str]) -> dict[str, Any]:
    """What the creation and the change forms send to accounts (empty emails: none)."""
    body: dict[str, Any] = {
        "name": values.get("name", ""),
        "city": values.get("city", ""),
        "coordinator_name": values.get("coordinator_name", ""),
        "coordinator_email": values.get("coordinator_email") or None,
        "contact_email": values.get("contact_email") or None,
    }
    for flag in GROUP_FLAGS:
        body[flag] = values.get(flag) == "on"
    return body


def _refusal_errors(error: ApiError) -> dict[str, str]:
    """A 400/422 of accounts as messages next to the fields (anything else for the form)."""
    errors: dict[str, str] = {}
    messages = _field_messages()
    for name in error.field_errors():
        key = name if name in messages else "_form"
        errors.setdefault(key, messages.get(name) or error.message(i18n.current_language()))
    if not errors:
        errors["_form"] = error.message(i18n.current_language())
    return errors


@routes.post("/admin/groupes/nouveau")
async def create_group(request: web.Request) -> web.StreamResponse:
    user = await admin_user(request)
    if user is None:
        return forbidden_to_non_admins(request)
    values = await form_values(request)
    body = {"slug": values.get("slug", ""), **_group_body(values)}
    errors: dict[str, str] = {}
    try:
        group = await request.app[API_KEY].call(
            "accounts", "POST", "/v1/groups", token=user.token, json=body
        )
    except ApiError as error:
        if error.status == 409 and error.code == "slug-taken":
            errors["slug"] = _("Ce lien de groupe existe déjà.")
        elif error.status in (400, 422):
            errors = _refusal_errors(error)
        else:
            raise
    else:
        return redirect(f"/admin/groupes/{group['slug']}?ok=cree")
    return render(request, "admin/new_group.html", {"values": values, "errors": errors}, status=400)


def _edit_values(group: dict[str, Any]) -> dict[str, str]:
    """The change form filled in with the group as it is (checked boxes: "on")."""
    values = {
        name: str(group.get(name) or "")
        for name in ("name", "city", "coordinator_name", "coordinator_email", "contact_email")
    }
    for flag in GROUP_FLAGS:
        if group.get(flag):
            values[flag] = "on"
    return values


def shown_coordinator_name(member: dict[str, Any]) -> str:
    """As the group page shows its coordinator: « Joachim ROBERT » (SPEC.md, the tutorial)."""
    first = str(member.get("first_name") or "").strip()
    last = str(member.get("last_name") or "").strip().upper()
    return f"{first} {last}".strip()[:200]


async def _members(request: web.Request, user: User, group_id: str) -> list[dict[str, Any]]:
    members = await accounts(request, user).members(group_id)
    members.sort(key=lambda m: m.display_name.lower())
    return page_list(members)


async def _group_page(
    request: web.Request,
    user: User,
    errors: dict[str, str] | None = None,
    chosen: str = "",
    status: int = 200,
    edit_values: dict[str, str] | None = None,
    edit_errors: dict[str, str] | None = None,
    show_coordinator: bool = True,
) -> web.Response:
    group = await public_group(request, request.match_info["slug"])
    members = await _members(request, user, str(group["id"]))
    return render(
        request,
        "admin/group.html",
        {
            "group": group,
            "members": members,
            "candidates": [m for m in members if m.get("role") != "coordinator"],
            "errors": errors or {},
            "chosen": chosen,
            "show_coordinator": show_coordinator,
            "edit_values": edit_values if edit_values is not None else _edit_values(group),
            "edit_errors": edit_errors or {},
            "ok": request.query.get("ok", ""),
        },
        status=status,
    )


@routes.get("/admin/groupes/{slug}")
async def group_page(request: web.Request) -> web.StreamResponse:
    user = await admin_user(request)
    if user is None:
        return forbidden_to_non_admins(request)
    return await _group_page(request, user)


@routes.post("/admin/groupes/{slug}/modifier")
async def edit_group(request: web.Request) -> web.StreamResponse:
    """« Modifier le groupe »: everything of the creation form but the link, which stays."""
    user = await admin_user(request)
    if user is None:
        return forbidden_to_non_admins(request)
    group = await public_group(request, request.match_info["slug"])
    values = await form_values(request)
    try:
        await accounts(request, user).update_group(group["id"], _group_body(values))
    except ApiError as error:
        if error.status not in (400, 422):
            raise
        return await _group_page(
            request, user, status=400, edit_values=values, edit_errors=_refusal_errors(error)
        )
    return redirect(f"/admin/groupes/{group['slug']}?ok=modifie")


async def _show_coordinator(
    request: web.Request, user: User, group: dict[str, Any], member_id: str
) -> None:
    """The group page shows this member as its coordinator: their name and email."""
    for member in await _members(request, user, str(group["id"])):
        if str(member.get("user_id")) == member_id:
            await accounts(request, user).update_group(
                group["id"],
                {
                    "coordinator_name": shown_coordinator_name(member),
                    "coordinator_email": member.get("email") or None,
                },
            )
            return


@routes.post("/admin/groupes/{slug}/coordinateur")
async def name_coordinator(request: web.Request) -> web.StreamResponse:
    user = await admin_user(request)
    if user is None:
        return forbidden_to_non_admins(request)
    group = await public_group(request, request.match_info["slug"])
    values = await form_values(request)
    chosen = values.get("user_id", "")
    show = values.get("show_coordinator") == "on"
    errors: dict[str, str] = {}
    try:
        member_id = str(uuid.UUID(chosen))
    except ValueError:
        errors["user_id"] = _("Choisissez un membre du groupe.")
    else:
        try:
            await accounts(request, user).name_coordinator(group["id"], member_id)
        except ApiError as error:
            if error.status != 404:
                raise
            errors["user_id"] = _("Cette personne n'est pas (ou plus) membre du groupe.")
        else:
            if show:
                await _show_coordinator(request, user, group, member_id)
            return redirect(f"/admin/groupes/{group['slug']}?ok=coordinateur")
    return await _group_page(request, user, errors, chosen, status=400, show_coordinator=show)
