"""Every message of the pages (templates and Python) has an English and a German translation."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from services.web import i18n

WEB = Path(__file__).resolve().parents[3] / "services" / "web"
METHOD_MAP = [("**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {
    "templates/**.html": {
        "extensions": "jinja2.ext.i18n",
        "trim_blocks": "true",
        "lstrip_blocks": "true",
    }
}


def source_messages() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(WEB), METHOD_MAP, OPTIONS, keywords={"_": None, "gettext": None, "ngettext": (1, 2)}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_extraction_finds_the_tutorial_labels():
    messages = source_messages()
    for label in (
        "Connexion",
        "S'inscrire",
        "Inscription",
        "Commandes",
        "Commander",
        "Commande",
        "Rupture de stock",
        "Ma commande",
        "Valider",
        "Paiement sur place",
        "Sélectionner",
        "Votre commande est bien enregistrée",
        "vérifier mes commandes",
        "Besoin d'être livré",
        "Possibilité de livrer",
        "Récupérer sa commande uniquement",
        "créneau de passage",
        "ma commande",
        "imprimer ma commande",
        "Mon compte",
        "Dernières commandes",
        "Modifier",
        "Quitter ce groupe",
        "Détails paiements",
        "Changer de groupe",
        "Déconnexion",
        "Mes produits commandés",
        "Commande close depuis le",
        "La commande fermera le",
        "Cliquez ici pour mettre à jour votre compte.",
    ):
        assert label in messages, label
    assert len(messages) > 250


@pytest.mark.parametrize("lang", ["en", "de"])
def test_every_message_is_translated(lang):
    po_path = WEB / "locale" / lang / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as po:
        catalog = read_po(po, locale=lang)
    translated = {m.id: m for m in catalog if m.id}
    problems = []
    for message in sorted(source_messages()):
        entry = translated.get(message)
        if entry is None or not entry.string:
            problems.append(f"missing: {message!r}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {message!r}")
        elif message.count("%(") != str(entry.string).count("%("):
            problems.append(f"placeholders differ: {message!r}")
    assert not problems, "\n".join(problems)


def test_catalogs_load_and_translate_by_language():
    i18n._catalogs.clear()
    i18n.set_language("de")
    assert i18n.gettext("Rupture de stock") == "Ausverkauft"
    i18n.set_language("en")
    assert i18n._("Au plus %(max)s pièces.", max=99) == "At most 99 pieces."
    i18n.set_language("fr")
    assert i18n.gettext("Rupture de stock") == "Rupture de stock"
    i18n.set_language("xx")
    assert i18n.current_language() == "fr"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "fr"),
        ("", "fr"),
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("en-GB,en;q=0.9", "en"),
        ("es-ES,es;q=0.9", "fr"),
        ("es;q=1,en;q=0.5,de;q=0.7", "de"),
        ("en;q=0,de;q=0.1", "de"),
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("en;q=abc", "fr"),
    ],
)
def test_accept_language(header, expected):
    assert i18n.negotiate(header) == expected
