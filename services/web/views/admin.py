"""Association admin pages (SPEC §1.5): list groups, create a group, change a group, name a
coordinator (and show them on the group page)."""

import functools
from collections.abc import Awaitable, Callable

from aiohttp import web

from shared.clients.accounts import Group, MemberRow

from .. import i18n
from ..apiclient import ApiError
from ..clients import accounts
from ..groups import public_group
from ..i18n import _
from ..rendering import render
from ..sessions import User, ask_afresh, forget_everyone, require_user
from .common import form_values, page_data, page_list, redirect
from .forms import (
    CoordinatorForm,
    GroupForm,
    NewGroupForm,
    check_form,
    coordinator_messages,
    group_messages,
)

routes = web.RouteTableDef()

AdminPage = Callable[[web.Request, User], Awaitable[web.StreamResponse]]


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


def admin_only(page: AdminPage) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A page of the association's admins, handed the logged-in admin; the 403 page for anybody
    else (logged out: to the log-in)."""

    @functools.wraps(page)
    async def handler(request: web.Request) -> web.StreamResponse:
        await ask_afresh(request)  # the admin's rights as they are now, never a kept token's
        user = await require_user(request)
        if not user.principal.admin:
            return forbidden_to_non_admins(request)
        return await page(request, user)

    return handler


@routes.get("/admin")
@admin_only
async def groups(request: web.Request, user: User) -> web.StreamResponse:
    found = sorted(await accounts(request).groups(), key=lambda g: (g.city, g.name))
    return render(request, "admin/groups.html", {"groups": page_list(found)})


@routes.get("/admin/groupes/nouveau")
@admin_only
async def new_group_form(request: web.Request, user: User) -> web.StreamResponse:
    return render(request, "admin/new_group.html")


def _refusal_errors(error: ApiError) -> dict[str, str]:
    """A 400/422 of accounts as messages next to the fields (anything else for the form)."""
    errors: dict[str, str] = {}
    messages = group_messages()
    for name in error.field_errors():
        key = name if name in messages else "_form"
        errors.setdefault(key, messages.get(name) or error.message(i18n.current_language()))
    if not errors:
        errors["_form"] = error.message(i18n.current_language())
    return errors


@routes.post("/admin/groupes/nouveau")
@admin_only
async def create_group(request: web.Request, user: User) -> web.StreamResponse:
    values = await form_values(request)
    form, errors = check_form(NewGroupForm, values, group_messages)
    if form is not None:
        client = accounts(request, user)
        try:
            group = client.read(Group, await client.send("POST", "/v1/groups", form.body()))
        except ApiError as error:
            if error.status == 409 and error.code == "slug-taken":
                errors["slug"] = _("Ce lien de groupe existe déjà.")
            elif error.status in (400, 422):
                errors = _refusal_errors(error)
            else:
                raise
        else:
            return redirect(f"/admin/groupes/{group.slug}?ok=cree")
    return render(request, "admin/new_group.html", {"values": values, "errors": errors}, status=400)


def _edit_values(group: Group) -> dict[str, str]:
    """The change form filled in with the group as it is (checked boxes: "on")."""
    values: dict[str, str] = {}
    for name, value in group.model_dump(include=set(GroupForm.model_fields)).items():
        if isinstance(value, bool):
            if value:
                values[name] = "on"
        else:
            values[name] = str(value or "")
    return values


def shown_coordinator_name(member: MemberRow) -> str:
    """As the group page shows its coordinator: « Joachim ROBERT » (SPEC.md, the tutorial)."""
    first = member.first_name.strip()
    last = member.last_name.strip().upper()
    return f"{first} {last}".strip()[:200]


async def _members(request: web.Request, user: User, group: Group) -> list[MemberRow]:
    members = await accounts(request, user).members(group.id)
    return sorted(members, key=lambda m: m.display_name.lower())


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
    members = await _members(request, user, group)
    return render(
        request,
        "admin/group.html",
        {
            "group": page_data(group),
            "members": page_list(members),
            "candidates": page_list(m for m in members if m.role != "coordinator"),
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
@admin_only
async def group_page(request: web.Request, user: User) -> web.StreamResponse:
    return await _group_page(request, user)


@routes.post("/admin/groupes/{slug}/modifier")
@admin_only
async def edit_group(request: web.Request, user: User) -> web.StreamResponse:
    """« Modifier le groupe »: everything of the creation form but the link, which stays."""
    group = await public_group(request, request.match_info["slug"])
    values = await form_values(request)
    form, errors = check_form(GroupForm, values, group_messages)
    if form is not None:
        try:
            await accounts(request, user).update_group(group.id, form.body())
        except ApiError as error:
            if error.status not in (400, 422):
                raise
            errors = _refusal_errors(error)
        else:
            forget_everyone(request)  # the group's rules and names are in its members' `/me`
            return redirect(f"/admin/groupes/{group.slug}?ok=modifie")
    return await _group_page(request, user, status=400, edit_values=values, edit_errors=errors)


async def _show_coordinator(request: web.Request, user: User, group: Group, member_id: str) -> None:
    """The group page shows this member as its coordinator: their name and email."""
    for member in await _members(request, user, group):
        if str(member.user_id) == member_id:
            await accounts(request, user).update_group(
                group.id,
                {
                    "coordinator_name": shown_coordinator_name(member),
                    "coordinator_email": member.email or None,
                },
            )
            return


@routes.post("/admin/groupes/{slug}/coordinateur")
@admin_only
async def name_coordinator(request: web.Request, user: User) -> web.StreamResponse:
    group = await public_group(request, request.match_info["slug"])
    values = await form_values(request)
    form, errors = check_form(CoordinatorForm, values, coordinator_messages)
    if form is not None:
        try:
            await accounts(request, user).name_coordinator(group.id, form.user_id)
        except ApiError as error:
            if error.status != 404:
                raise
            errors["user_id"] = _("Cette personne n'est pas (ou plus) membre du groupe.")
        else:
            if form.show_coordinator:
                await _show_coordinator(request, user, group, form.user_id)
            forget_everyone(request)  # their role, and the group as its members see it
            return redirect(f"/admin/groupes/{group.slug}?ok=coordinateur")
    # The choice is shown again as it was made.
    chosen, show = values.get("user_id", ""), values.get("show_coordinator") == "on"
    return await _group_page(request, user, errors, chosen, status=400, show_coordinator=show)
