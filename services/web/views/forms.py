"""Form models: what a page's form must hold, checked by pydantic, each refusal shown next to its
field in the catalog's words (pydantic's own messages are English, never shown).

The French messages are looked up when the form is checked (`_()` is the request's language), so
each form comes with a function giving them by field. A rule whose message depends on what was
typed raises `refuse(message)` from its validator instead (it runs inside the request too)."""

from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, TypeVar

from aiohttp import web
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from ..i18n import _
from ..validation import person_error
from .common import form_values, uuid_or_none

F = TypeVar("F", bound="Form")
REFUSED = "refused"


class Form(BaseModel):
    """The fields a page reads; anything else posted (the CSRF token...) is ignored. A field left
    out of the post takes its default, and its validators still run (a required detail)."""

    model_config = ConfigDict(extra="ignore", frozen=True, validate_default=True)


def _ticked(value: object) -> bool:
    return value is True or value == "on"


def _form_id(value: str) -> str:
    found = uuid_or_none(value)
    if found is None:
        raise ValueError("not an id")
    return found


def _given(value: str) -> str:
    if not value:
        raise refuse(_("Ce champ est obligatoire."))
    return value


# A checkbox posts "on" when ticked and nothing otherwise (its default says what that means).
Checkbox = Annotated[bool, BeforeValidator(_ticked)]
# An id chosen in the form (it goes into the APIs' paths), in its canonical text.
FormId = Annotated[str, AfterValidator(_form_id)]
# A text that must be typed (« Ce champ est obligatoire. »).
RequiredText = Annotated[str, AfterValidator(_given)]


def refuse(message: str, field: str | None = None) -> PydanticCustomError:
    """A refusal in the catalog's words, next to the validated field (or next to `field`, for a
    rule checked with the fields it compares)."""
    return PydanticCustomError(REFUSED, "{message}", {"message": message, "field": field})


def no_message() -> dict[str, str]:
    """For forms whose every rule says its own message (`refuse`)."""
    return {}


def check_form(
    model: type[F],
    values: Mapping[str, object],
    messages: Callable[[], dict[str, str]] = no_message,
    under: Mapping[str, str] | None = None,
    context: Mapping[str, object] | None = None,
) -> tuple[F | None, dict[str, str]]:
    """(the form, {}) or (None, {field: message}): fields in the model's order, one message
    each. `under` shows a field's message under another name (e.g. "_form", the message at the
    top of the form); a field without a message of its own goes under "_form". `context` is what
    the rules need besides the form (the fields the group requires, a product's unit...)."""
    try:
        return model.model_validate(dict(values), context=context), {}
    except ValidationError as exc:
        known = messages()
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "_form"
            if error["type"] == REFUSED:
                ctx = error.get("ctx") or {}
                field = str(ctx.get("field") or field)
                name, message = (under or {}).get(field, field), str(ctx["message"])
            else:
                name = (under or {}).get(field, field if field in known else "_form")
                message = known.get(field) or _("Une des valeurs saisies n'est pas valide.")
            errors.setdefault(name, message)
        return None, errors


async def posted_form(request: web.Request, model: type[F]) -> F:
    """A form the page fills in itself (hidden fields, fixed choices): one it would not have
    sent is refused with a 400, nothing changed."""
    form, _errors = check_form(model, await form_values(request))
    if form is None:
        raise web.HTTPBadRequest()
    return form


class LoginForm(Form):
    email: str = Field(min_length=1)
    password: str = Field(min_length=1)


def login_messages() -> dict[str, str]:
    return {
        "email": _("Indiquez votre adresse e-mail."),
        "password": _("Indiquez votre mot de passe."),
    }


class PasswordResetForm(Form):
    """A new password (then typed again) and the mailed link's token."""

    new_password: str = Field(min_length=8)
    # Compared only when the new password itself is acceptable.
    confirm_password: str = ""
    token: str = Field(min_length=1)

    @field_validator("confirm_password")
    @classmethod
    def _same_password(cls, value: str, info: ValidationInfo) -> str:
        typed = info.data.get("new_password")
        if typed is not None and value != typed:
            raise ValueError("the two passwords differ")
        return value


def password_reset_messages() -> dict[str, str]:
    return {
        "new_password": _("Le mot de passe doit faire au moins 8 caractères."),
        "confirm_password": _("Les deux mots de passe ne sont pas identiques."),
        "token": _("Ce lien n'est plus valable. Demandez un nouveau lien."),
    }


class EraseForm(Form):
    password: str = Field(min_length=1)
    confirm: Literal["yes"]


def erase_messages() -> dict[str, str]:
    return {
        "password": _("Indiquez votre mot de passe."),
        "confirm": _("Cochez la case pour confirmer la suppression de votre compte."),
    }


class ForgotForm(Form):
    email: str = Field(pattern="@")


def forgot_messages() -> dict[str, str]:
    return {"email": _("Indiquez l'adresse e-mail de votre compte.")}


class PersonForm(Form):
    """The person's details (« Modifier »): every field checked at once, the phone too, so the
    member fixes everything in one go; those the context's `required` names must be there."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""

    @field_validator("*")
    @classmethod
    def _valid_detail(cls, value: str, info: ValidationInfo) -> str:
        name = str(info.field_name)
        required: set[str] = (info.context or {}).get("required", set())
        message = person_error(name, value, name in required)
        if message is not None:
            raise refuse(message)
        return value

    def given(self) -> dict[str, str]:
        """The details typed (an empty field is not sent)."""
        return {name: value for name, value in self.model_dump().items() if value}


class SignupForm(PersonForm):
    password: str = ""


class GroupForm(Form):
    """« Modifier le groupe »: accounts checks every field, its refusals are shown next to them
    (`group_messages`); an email left empty is none."""

    name: str = ""
    city: str = ""
    coordinator_name: str = ""
    coordinator_email: str = ""
    contact_email: str = ""
    phone_required: Checkbox = False
    address_required: Checkbox = False

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = self.model_dump(exclude={"slug"})
        for email in ("coordinator_email", "contact_email"):
            body[email] = body[email] or None
        return body


class NewGroupForm(GroupForm):
    """« Créer un groupe »: the link too, which never changes afterwards."""

    slug: str = ""

    def body(self) -> dict[str, Any]:
        return {"slug": self.slug, **super().body()}


def group_messages() -> dict[str, str]:
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


class CoordinatorForm(Form):
    """« Nommer coordinateur »: a member of the group, shown on the group page or not."""

    user_id: FormId = ""
    show_coordinator: Checkbox = False


def coordinator_messages() -> dict[str, str]:
    return {"user_id": _("Choisissez un membre du groupe.")}
