"""Forms read by their form models, through the pages: every refusal at once next to its field,
in French, the input kept, nothing changed; and a post the page would not have sent is a 400."""

import re
import uuid

from tests.integration.web.conftest import Stack, log_in_coordinator


def dashboard_distributions(text: str) -> set[str]:
    return set(re.findall(r"/g/3-cocus/coord/d/([0-9a-f-]{36})", text))


async def test_new_distribution_refusals_next_to_their_fields_nothing_created(stack: Stack):
    coordinator = await stack.browser()
    try:
        await log_in_coordinator(coordinator)
        before = dashboard_distributions((await coordinator.get("/g/3-cocus/coord")).text)
        await coordinator.get("/g/3-cocus/coord/distributions/nouvelle")
        bad = await coordinator.post(
            "/g/3-cocus/coord/distributions/nouvelle",
            {
                "place_name": "Salle des fêtes",
                "place_address": "",
                "day": "2031-06-05",
                "start": "18:00",
                "end": "17:00",
                "opens_day": "2031-06-01",
                "opens_time": "08:00",
                "closes_day": "2031-06-06",
                "closes_time": "10:00",
                "capacity": "0",
                "overrides": "vers 17h",
            },
        )
        assert bad.status == 422
        for message in (
            "L'heure de fin doit être après l'heure de début.",
            "La commande doit fermer avant le début de la distribution.",
            "Ce champ est obligatoire.",
            "Choisissez au moins un produit.",
            "Indiquez un nombre de personnes par créneau, par exemple 8.",
            "Une ligne par créneau, par exemple 16:45=3.",
        ):
            assert message in bad, message
        assert '<p class="error" id="e-overrides">Une ligne par créneau' in bad.text
        assert 'value="Salle des fêtes"' in bad.text and "vers 17h</textarea>" in bad.text
        after = dashboard_distributions((await coordinator.get("/g/3-cocus/coord")).text)
        assert after == before
    finally:
        await coordinator.close()


async def test_forged_fixed_choices_are_refused_with_a_400(stack: Stack):
    coordinator = await stack.browser()
    try:
        await log_in_coordinator(coordinator)
        dashboard = await coordinator.get("/g/3-cocus/coord")
        did = sorted(dashboard_distributions(dashboard.text))[0]
        sheet = await coordinator.get(f"/g/3-cocus/coord/d/{did}/feuille")
        assert sheet.status == 200
        forged = await coordinator.post(
            f"/g/3-cocus/coord/d/{did}/paiements",
            {"user_id": "pas-un-id", "amount": "9,68", "method": "cash"},
        )
        assert forged.status == 400
        refused = await coordinator.post(
            f"/g/3-cocus/coord/d/{did}/paiements",
            {"user_id": str(uuid.uuid4()), "amount": "0", "method": "cash"},
            csrf=sheet.csrf(),
        )
        assert refused.status == 422
        assert "Indiquez le montant payé en euros, par exemple 9,68." in refused
        choice = await coordinator.post(
            f"/g/3-cocus/d/{did}/retrait", {"choice": "teleportation"}, csrf=sheet.csrf()
        )
        assert choice.status == 400
    finally:
        await coordinator.close()
