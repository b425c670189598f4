"""The form models (services/web/views/forms.py and each area's forms.py): every rule at once,
each refusal next to its field in the catalog's words, the values read as the APIs want them."""

import uuid
from datetime import date
from decimal import Decimal

from services.web import i18n
from services.web.views.coord.correction_form import CorrectionForm
from services.web.views.coord.forms import (
    PAYMENT_UNDER,
    DateRangeForm,
    NewDistributionForm,
    PaymentForm,
    ProductForm,
    payment_messages,
    price_messages,
)
from services.web.views.forms import GroupForm, NewGroupForm, check_form
from services.web.views.member.forms import CartLineForm, NeedDeliveryForm, cart_line_messages

PRODUCT = str(uuid.uuid4())
OTHER = str(uuid.uuid4())


def setup_function() -> None:
    i18n.set_language("fr")


def test_cart_quantity_follows_how_the_product_is_sold() -> None:
    values = {"quantity": "0,5", "base": "1.5", "idem": "not-a-key"}
    form, errors = check_form(CartLineForm, values, cart_line_messages, context={"bulk": True})
    assert errors == {} and form is not None
    assert form.quantity + form.base == Decimal("2.0")
    assert str(uuid.UUID(form.idem)) == form.idem  # a malformed key is replaced
    form, errors = check_form(
        CartLineForm, values, cart_line_messages, under={"quantity": "q-x"}, context={"bulk": False}
    )
    assert form is None
    assert errors == {"q-x": "Ce produit se commande à la pièce : indiquez un nombre entier."}
    _form, missing = check_form(CartLineForm, {}, cart_line_messages, context={"bulk": True})
    assert missing == {"quantity": "Indiquez une quantité en chiffres, par exemple 1 ou 0,5."}


def test_an_unreadable_base_counts_as_nothing_in_the_cart() -> None:
    for base in ("NaN", "-1", "1001", "abc", ""):
        form, _errors = check_form(CartLineForm, {"quantity": "1", "base": base}, context={})
        assert form is not None and form.base == 0, base


def test_new_distribution_reports_every_rule_at_once() -> None:
    values = {
        "day": "2026-13-01",
        "start": "13:00",
        "end": "20:00",
        "opens_day": "",
        "opens_time": "08:00",
        "closes_day": "2026-06-01",
        "closes_time": "",
        "place_name": "",
        "place_address": "Rue",
        "product": [],
        "capacity": "0",
        "overrides": "16h45 trois",
    }
    form, errors = check_form(NewDistributionForm, values)
    assert form is None
    assert errors == {
        "day": "Indiquez la date et les heures de la distribution.",
        "opens_day": "Indiquez quand la commande ouvre.",
        "closes_day": "Indiquez quand la commande ferme.",
        "place_name": "Ce champ est obligatoire.",
        "products": "Choisissez au moins un produit.",
        "capacity": "Indiquez un nombre de personnes par créneau, par exemple 8.",
        "overrides": "Une ligne par créneau, par exemple 16:45=3.",
    }


def test_new_distribution_times_and_prices() -> None:
    values = {
        "day": "2026-06-05",
        "start": "18:00",
        "end": "17:00",
        "opens_day": "2026-06-01",
        "opens_time": "08:00",
        "closes_day": "2026-06-06",
        "closes_time": "10:00",
        "place_name": "Salle",
        "place_address": "Rue",
        "product": [PRODUCT, OTHER],
        f"price-{PRODUCT}": "deux euros",
        "capacity": "8",
        "overrides": "16:45=3",
    }
    _form, errors = check_form(NewDistributionForm, values)
    assert errors == {
        "end": "L'heure de fin doit être après l'heure de début.",
        "closes_day": "La commande doit fermer avant le début de la distribution.",
        "products": "Un prix n'est pas compris : écrivez par exemple 2,25.",
    }
    fixed = {**values, "end": "20:00", "closes_day": "2026-06-04", f"price-{PRODUCT}": "2,25"}
    form, errors = check_form(NewDistributionForm, fixed)
    assert errors == {} and form is not None
    body = form.body()
    assert body["starts_at"] == "2026-06-05T18:00:00+02:00"
    assert {"product_id": PRODUCT, "price_cents": 225} in body["products"]
    assert {"product_id": OTHER} in body["products"]
    assert form.slot_overrides() == {"16:45": 3}


def test_product_form_checks_everything_and_keeps_the_defaults() -> None:
    form, errors = check_form(
        ProductForm, {"name": "", "price": "gratuit", "stock": "-2"}, price_messages
    )
    assert form is None
    assert errors == {
        "name": "Ce champ est obligatoire.",
        "category": "Ce champ est obligatoire.",
        "unit_label": "Ce champ est obligatoire.",
        "price": "Indiquez un prix en euros, par exemple 2,25.",
        "stock": "Indiquez un stock en chiffres, ou laissez vide (illimité).",
    }
    values = {"name": "Riz", "category": "Céréales", "unit_label": "kg", "price": "2,25"}
    form, errors = check_form(ProductForm, {**values, "stock": "1,5"}, price_messages)
    assert form is not None
    assert form.body() == {
        "name": "Riz",
        "category": "Céréales",
        "unit_label": "kg",
        "unit_price_cents": 225,
        "bulk": False,
        "stock": "1.5",
        "active": True,  # a new product is active unless the form says otherwise
    }


def test_payment_amount_first_and_a_forged_member() -> None:
    _form, errors = check_form(
        PaymentForm, {"user_id": "x", "amount": "0"}, payment_messages, PAYMENT_UNDER
    )
    assert errors == {
        "user_id": "Une des valeurs saisies n'est pas valide.",
        "amount": "Indiquez le montant payé en euros, par exemple 9,68.",
        "method": "Choisissez le moyen de paiement.",
    }
    member = str(uuid.uuid4())
    form, _errors = check_form(
        PaymentForm, {"user_id": member.upper(), "amount": "-1,50", "method": "cash"}
    )
    assert form is not None and form.user_id == member and form.amount == -150


def test_date_range() -> None:
    form, errors = check_form(DateRangeForm, {"du": "01/09/2024", "au": "2024-09-30"})
    assert form is not None and (form.du, form.au) == (date(2024, 9, 1), date(2024, 9, 30))
    _form, errors = check_form(DateRangeForm, {"du": "hier", "au": "2024-02-30"})
    assert errors == {
        "du": "Indiquez une date, par exemple 01/09/2024.",
        "au": "Indiquez une date, par exemple 30/09/2024.",
    }
    _form, errors = check_form(DateRangeForm, {"du": "2024-09-30", "au": "2024-09-01"})
    assert errors == {"au": "La date de fin doit être après la date de début."}
    _form, errors = check_form(DateRangeForm, {"du": "2023-01-01", "au": "2024-09-01"})
    assert errors == {"au": "Au plus un an à la fois."}


def test_correction_lines_each_with_its_message() -> None:
    values = {
        f"q-{PRODUCT}": "1,5",
        f"b-{PRODUCT}": "2",
        f"q-{OTHER}": "abc",
        f"b-{OTHER}": "1",
        "q-not-an-id": "3",
        "add_quantity": "2",
        "note": "",
    }
    context = {"bulk": {PRODUCT: False, OTHER: True}, "offered": {}}
    form, errors = check_form(CorrectionForm, values, context=context)
    assert form is None
    assert errors == {
        f"q-{PRODUCT}": "Ce produit se commande à la pièce : indiquez un nombre entier.",
        f"q-{OTHER}": "Indiquez une quantité en chiffres, par exemple 1 ou 0,5.",
        "add_product": "Choisissez le produit à ajouter.",
        "note": "Indiquez la raison de la correction.",
    }


def test_correction_wanted_and_seen() -> None:
    added = str(uuid.uuid4())
    values = {
        f"q-{PRODUCT}": "0",
        f"b-{PRODUCT}": "2",
        "add_product": added,
        "add_quantity": "0,5",
        "note": "manquant",
    }
    context = {"bulk": {PRODUCT: False}, "offered": {added: True}}
    form, errors = check_form(CorrectionForm, values, context=context)
    assert errors == {} and form is not None
    assert form.wanted() == {PRODUCT: Decimal(0), added: Decimal("0.5")}
    assert form.seen() == {PRODUCT: Decimal(2), added: Decimal(0)}
    same = {f"q-{PRODUCT}": "2", f"b-{PRODUCT}": "2", "note": "rien"}
    _form, errors = check_form(CorrectionForm, same, context=context)
    assert errors == {"_form": "Aucune quantité n'a changé."}
    _form, errors = check_form(CorrectionForm, values, context={**context, "offered": {}})
    assert errors == {"add_product": "Ce produit n'est pas proposé à cette distribution."}


def test_need_delivery_asks_for_everything_it_shares() -> None:
    form, errors = check_form(NeedDeliveryForm, {"phone": "", "postcode": "312", "consent": []})
    assert form is None
    assert errors == {
        "phone": "Indiquez un numéro de téléphone pour que la personne puisse vous appeler.",
        "street": "Indiquez votre adresse complète pour être livré.",
        "postcode": "Le code postal doit faire 5 chiffres (exemple : 31200).",
        "city": "Indiquez votre adresse complète pour être livré.",
        "consent": "Cochez au moins une information à transmettre à la personne qui vous livrera.",
    }


def test_group_forms_send_what_accounts_takes() -> None:
    form, _errors = check_form(
        NewGroupForm, {"slug": "3-cocus", "name": "3 Cocus", "phone_required": "on"}
    )
    assert form is not None
    assert form.body() == {
        "slug": "3-cocus",
        "name": "3 Cocus",
        "city": "",
        "coordinator_name": "",
        "coordinator_email": None,
        "contact_email": None,
        "phone_required": True,
        "address_required": False,
    }
    edit, _errors = check_form(GroupForm, {"slug": "changed", "contact_email": "a@b.fr"})
    assert edit is not None and "slug" not in edit.body()
    assert edit.body()["contact_email"] == "a@b.fr"
