"""Form models: what a page's form must hold, checked by pydantic, each refusal shown next to its
field in the catalog's words (pydantic's own messages are English, never shown).

The French messages are looked up when the form is checked (`_()` is the request's language), so
each form comes with a function giving them by field."""

from collections.abc import Callable, Mapping
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from ..i18n import _

F = TypeVar("F", bound="Form")


class Form(BaseModel):
    """The fields a page reads; anything else posted (the CSRF token...) is ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def check_form(
    model: type[F],
    values: Mapping[str, str],
    messages: Callable[[], dict[str, str]],
    under: Mapping[str, str] | None = None,
) -> tuple[F | None, dict[str, str]]:
    """(the form, {}) or (None, {field: message}): fields in the model's order, one message
    each. `under` shows a field's message under another name (e.g. "_form", the message at the
    top of the form); a field without a message of its own goes under "_form"."""
    try:
        return model.model_validate(dict(values)), {}
    except ValidationError as exc:
        known = messages()
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "_form"
            name = (under or {}).get(field, field if field in known else "_form")
            message = known.get(field) or _("Une des valeurs saisies n'est pas valide.")
            errors.setdefault(name, message)
        return None, errors


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
    confirm_password: str = Field(default="", validate_default=True)
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
