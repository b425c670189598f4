"""The person's details on the forms (issue 11, item 12): every field at once, French only."""

from services.web import i18n
from services.web.validation import field_message, same_phone, valid_phone
from services.web.views.forms import SignupForm, check_form

GOOD = {
    "first_name": "Sarah",
    "last_name": "Varda",
    "email": "sarah@example.org",
    "password": "un-mot-de-passe-solide",
}


def check_person(values: dict[str, str], required: set[str]) -> dict[str, str]:
    """The sign-up form's errors with `required` as the group asks."""
    form, errors = check_form(SignupForm, values, context={"required": required})
    assert (form is None) == bool(errors)
    return errors


def test_phone_checked_with_the_other_fields() -> None:
    i18n.set_language("fr")
    errors = check_person({**GOOD, "last_name": "", "phone": "12"}, {"last_name"})
    assert errors == {
        "last_name": "Indiquez votre nom.",
        "phone": "Ce numéro de téléphone n'est pas valide (exemple : 06 12 34 56 78).",
    }


def test_every_field_and_required_ones() -> None:
    i18n.set_language("fr")
    values = {
        "first_name": "A\x00",
        "email": "pas-une-adresse",
        "password": "court",
        "postcode": "3120",
        "city": "x" * 101,
    }
    errors = check_person(values, {"first_name", "last_name", "email", "password", "street"})
    assert set(errors) == {
        "first_name",
        "last_name",
        "email",
        "password",
        "postcode",
        "city",
        "street",
    }
    assert errors["password"] == "Le mot de passe doit faire au moins 8 caractères."
    assert check_person(GOOD, set(GOOD)) == {}


def test_french_numbers() -> None:
    for typed in ("0606060606", "06 06 06 06 06", "+33 6 06 06 06 06", "0033606060606"):
        assert valid_phone(typed), typed
        assert same_phone(typed, "+33606060606")
    for typed in ("12", "06", "abc", "06 06 06 06 06 06 06", "06\x0006060606"):
        assert not valid_phone(typed), typed
    assert not same_phone("0611223344", "+33606060606")
    assert same_phone("", None)


def test_messages_are_translated() -> None:
    i18n.set_language("en")
    assert field_message("phone") == "This phone number is not valid (example: 06 12 34 56 78)."
    i18n.set_language("fr")
    assert field_message("whatever") == "Cette valeur n'est pas valide."
