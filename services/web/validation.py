"""The person's details as the forms take them (sign-up, « Modifier », delivery): every field
checked at once, before anything is sent, each error a French message of the catalog next to
its field. The rules are accounts' (services/accounts/domain.py); accounts still checks them, and
its 422 field errors are shown with the same messages (`field_message`), never its English text."""

import unicodedata
from collections.abc import Iterable, Mapping

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from shared.clients.accounts import PersonDetails

from .formatting import phone as phone_text
from .i18n import _

PASSWORD_MIN = 8
PASSWORD_MAX = 128
MAX_LENGTH = {"first_name": 100, "last_name": 100, "street": 200, "city": 100, "email": 254}
PERSON_FIELDS = ("first_name", "last_name", "email", "phone", "street", "postcode", "city")


def field_message(name: str) -> str:
    """The French message for a field another service refused (its own text is English)."""
    messages = {
        "first_name": _("Ce prénom n'est pas valide."),
        "last_name": _("Ce nom n'est pas valide."),
        "email": _("Cette adresse e-mail n'est pas valide (exemple : nom@exemple.fr)."),
        "password": _("Le mot de passe doit faire entre 8 et 128 caractères."),
        "new_password": _("Le mot de passe doit faire entre 8 et 128 caractères."),
        "phone": _("Ce numéro de téléphone n'est pas valide (exemple : 06 12 34 56 78)."),
        "street": _("Cette adresse n'est pas valide."),
        "postcode": _("Le code postal doit faire 5 chiffres (exemple : 31200)."),
        "city": _("Ce nom de ville n'est pas valide."),
    }
    return messages.get(name, _("Cette valeur n'est pas valide."))


def _has_control(value: str) -> bool:
    return any(unicodedata.category(ch).startswith("C") for ch in value)


def valid_phone(value: str) -> bool:
    """A number members type the French way ("06 06 06 06 06", "+33 6…", "0033 6…")."""
    if len(value) > 30 or _has_control(value):
        return False
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def same_phone(typed: str, stored: str | None) -> bool:
    """Whether the number shown « 06 06 06 06 06 » and kept +33606060606 are one."""
    if not stored:
        return not typed
    try:
        number = phonenumbers.parse(typed, "FR")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == stored


def shown_details(person: PersonDetails, names: Iterable[str]) -> dict[str, str]:
    """A form filled in with the person's details as kept (the phone « 06 06 06 06 06 »)."""
    kept = person.model_dump(include=set(names))
    return {k: phone_text(v) if k == "phone" else str(v or "") for k, v in kept.items()}


def changed_details(person: PersonDetails, typed: Mapping[str, str]) -> dict[str, str]:
    """The details typed that differ from the person's; the phone shown « 06 06 06 06 06 » is
    unchanged when it is the same number."""
    kept = person.model_dump(include=set(typed))
    return {
        k: v
        for k, v in typed.items()
        if v != str(kept[k] or "") and not (k == "phone" and same_phone(v, person.phone))
    }


def person_error(name: str, value: str, required: bool) -> str | None:
    """The error of one detail among PERSON_FIELDS (and "password"), None when it is fine."""
    if not value:
        return _missing_message(name) if required else None
    if name == "password" and len(value) < PASSWORD_MIN:
        return _("Le mot de passe doit faire au moins 8 caractères.")
    return None if _field_ok(name, value) else field_message(name)


def _missing_message(name: str) -> str:
    address = _("Ce groupe demande votre adresse complète.")
    missing = {
        "first_name": _("Indiquez votre prénom."),
        "last_name": _("Indiquez votre nom."),
        "email": _("Indiquez votre adresse e-mail."),
        "password": _("Choisissez un mot de passe."),
        "phone": _("Ce groupe demande un numéro de téléphone."),
        "street": address,
        "postcode": address,
        "city": address,
    }
    return missing[name]


def _field_ok(name: str, value: str) -> bool:
    if name == "password":
        return PASSWORD_MIN <= len(value) <= PASSWORD_MAX
    if _has_control(value) or len(value) > MAX_LENGTH.get(name, 1000):
        return False
    if name == "phone":
        return valid_phone(value)
    if name == "postcode":
        return len(value) == 5 and value.isascii() and value.isdigit()
    if name == "email":
        try:
            validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            return False
    return True
