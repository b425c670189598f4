"""Templates in fr / en / de, rendered with the data the sender gathers at send time."""

from typing import Any

import pytest

from services.notifications.compose import requester_details, volunteer_details
from services.notifications.domain import LANGUAGES, Kind
from services.notifications.rendering import Renderer
from shared.clients.accounts import PersonContact
from tests.support.factories import contact_fields

RENDERER = Renderer()
DISTRIBUTION = {
    "date": "Vendredi 30 août 2019",
    "window": "13:00 – 20:00",
    "place_name": "Centre social Eugénie Cotton",
    "place_address": "23 rue Georges Lyvet 69200 Venissieux",
    "closes_at": "Jeudi 29 août 2019 à 23:59",
}
NO_ADDRESS = {"street": None, "postcode": None, "city": None}
REQUESTER = PersonContact(**contact_fields())
VOLUNTEER = PersonContact(
    **contact_fields(
        first_name="Paul",
        last_name="MARTIN",
        display_name="MARTIN Paul",
        email="paul@example.org",
        phone="07 98 76 54 32",
        language="de",
        **NO_ADDRESS,
    )
)


def base(**extra: Any) -> dict[str, Any]:
    return {
        "recipient_name": "Paul",
        "group_name": "3 Cocus",
        "orders_link": "http://127.0.0.1:8080/g/3-cocus",
        "distribution": DISTRIBUTION,
        **extra,
    }


def context_for(kind: Kind) -> dict[str, Any]:
    contexts: dict[Kind, dict[str, Any]] = {
        Kind.PAIRING_VOLUNTEER: base(requester=requester_details(REQUESTER, ["phone"])),
        Kind.PAIRING_REQUESTER: base(volunteer=volunteer_details(VOLUNTEER)),
        Kind.VOLUNTEER_WITHDREW: base(),
        Kind.VOLUNTEER_WITHDREW_COORDINATOR: base(requester_first_name="Sarah"),
        Kind.DELIVERY_NOT_NEEDED: base(requester_first_name="Sarah"),
        Kind.ORDER_CONFIRMATION: base(
            updated=False,
            total="9,68 €",
            slot={"state": "none", "time": None},
            lines=[
                {
                    "quantity": "1",
                    "name": "Lessive 1 L",
                    "unit": "1 L",
                    "unit_price": "2,25 €",
                    "total": "2,25 €",
                }
            ],
        ),
        Kind.DISTRIBUTION_OPENED: base(),
        Kind.CLOSING_REMINDER: base(),
        Kind.PASSWORD_RESET: base(reset_link="http://x/mot-de-passe/nouveau?token=abc"),
    }
    return contexts[kind]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_renders_in_every_language(kind, language):
    rendered = RENDERER.render(kind, language, context_for(kind))
    assert rendered.subject and "\n" not in rendered.subject
    assert rendered.text.strip() and rendered.html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}">' in rendered.html
    assert "Paul" in rendered.text


def test_the_three_languages_differ():
    subjects = {
        lang: RENDERER.render(
            Kind.ORDER_CONFIRMATION, lang, context_for(Kind.ORDER_CONFIRMATION)
        ).subject
        for lang in LANGUAGES
    }
    assert subjects["fr"].startswith("Votre commande est bien enregistrée")
    assert subjects["en"].startswith("Your order is recorded")
    assert subjects["de"].startswith("Ihre Bestellung ist eingegangen")


def test_volunteer_sees_only_the_consented_fields():
    only_phone = RENDERER.render(Kind.PAIRING_VOLUNTEER, "fr", context_for(Kind.PAIRING_VOLUNTEER))
    for part in (only_phone.text, only_phone.html):
        assert "VARDA" in part and "06 12 34 56 78" in part
        assert "rue des Lilas" not in part and "31500" not in part
        assert "sarah@example.org" not in part
    everything = RENDERER.render(
        Kind.PAIRING_VOLUNTEER,
        "fr",
        base(requester=requester_details(REQUESTER, ["address", "phone", "email"])),
    )
    assert "4 rue des Lilas, 31500 Toulouse" in everything.text
    assert "sarah@example.org" in everything.text
    nothing = RENDERER.render(
        Kind.PAIRING_VOLUNTEER, "en", base(requester=requester_details(REQUESTER, []))
    )
    assert "06 12" not in nothing.text and "chose not to share" in nothing.text


def test_pairing_says_what_to_agree_on():
    text = RENDERER.render(Kind.PAIRING_REQUESTER, "fr", context_for(Kind.PAIRING_REQUESTER)).text
    assert "07 98 76 54 32" in text and "paul@example.org" in text
    assert "le jour et l'heure" in text and "l'argent" in text and "contenants" in text


def test_html_part_escapes_names_but_text_part_keeps_them():
    hostile = PersonContact(
        **contact_fields(
            first_name="<script>alert(1)</script>",
            last_name="&Co",
            display_name="x",
            email="a@example.org",
            phone=None,
            **NO_ADDRESS,
        )
    )
    rendered = RENDERER.render(
        Kind.PAIRING_REQUESTER, "fr", base(volunteer=volunteer_details(hostile))
    )
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;Co" in rendered.html
    assert "<script>alert(1)</script> &Co" in rendered.text


def test_order_confirmation_lists_items_total_place_and_slot():
    ctx = context_for(Kind.ORDER_CONFIRMATION)
    ctx["slot"] = {"state": "booked", "time": "16:45 – 17:00"}
    rendered = RENDERER.render(Kind.ORDER_CONFIRMATION, "fr", ctx)
    assert "1 x Lessive 1 L" in rendered.text
    assert "TOTAL : 9,68 €" in rendered.text
    assert "Centre social Eugénie Cotton" in rendered.text
    assert "Vendredi 30 août 2019, 13:00 – 20:00" in rendered.text
    assert "Créneau de passage : 16:45 – 17:00" in rendered.text
    ctx["slot"] = {"state": "none", "time": None}
    assert (
        "Créneau de passage : à choisir" in RENDERER.render(Kind.ORDER_CONFIRMATION, "fr", ctx).text
    )
    ctx["slot"] = {"state": "unknown", "time": None}
    assert "Créneau" not in RENDERER.render(Kind.ORDER_CONFIRMATION, "fr", ctx).text


def test_unknown_language_falls_back_to_french():
    rendered = RENDERER.render(Kind.PASSWORD_RESET, "es", context_for(Kind.PASSWORD_RESET))
    assert rendered.subject == "Nouveau mot de passe pour votre compte VRAC"
    assert "http://x/mot-de-passe/nouveau?token=abc" in rendered.text


def test_distribution_unknown_still_renders():
    ctx = context_for(Kind.DISTRIBUTION_OPENED)
    ctx["distribution"] = None
    assert "date à confirmer" in RENDERER.render(Kind.DISTRIBUTION_OPENED, "fr", ctx).text
