"""Babel message catalogs: French is the source language; English and German are translations.

The .po files are compiled in memory at start (no build step, no committed .mo)."""

import gettext as gettext_module
import io
from contextvars import ContextVar
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("fr", "en", "de")
DEFAULT_LANGUAGE = "fr"
LANGUAGE_NAMES = {"fr": "Français", "de": "Deutsch", "en": "English"}

_catalogs: dict[str, gettext_module.NullTranslations] = {}
_current: ContextVar[str] = ContextVar("web_language", default=DEFAULT_LANGUAGE)


def load_catalogs(locale_dir: Path = LOCALE_DIR) -> dict[str, gettext_module.NullTranslations]:
    catalogs: dict[str, gettext_module.NullTranslations] = {
        DEFAULT_LANGUAGE: gettext_module.NullTranslations()
    }
    for lang in LANGUAGES:
        if lang == DEFAULT_LANGUAGE:
            continue
        po_path = locale_dir / lang / "LC_MESSAGES" / "messages.po"
        with po_path.open("rb") as po:
            catalog = read_po(po, locale=lang)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        buffer.seek(0)
        catalogs[lang] = Translations(buffer)
    return catalogs


def _translations(lang: str) -> gettext_module.NullTranslations:
    if not _catalogs:
        _catalogs.update(load_catalogs())
    return _catalogs.get(lang) or _catalogs[DEFAULT_LANGUAGE]


def set_language(lang: str) -> None:
    _current.set(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


def current_language() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return _translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations(_current.get()).ngettext(singular, plural, n)


def _(message: str, **variables: object) -> str:
    """Translate a message of the Python code (marked for extraction) and fill its %(names)s."""
    text = gettext(message)
    return text % variables if variables else text


def negotiate(accept_language: str | None) -> str:
    """The first of our languages in an Accept-Language header, by preference weight."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _sep, params = part.strip().partition(";")
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                weight = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and weight > 0:
            choices.append((-weight, index, primary))
    if not choices:
        return DEFAULT_LANGUAGE
    return sorted(choices)[0][2]
