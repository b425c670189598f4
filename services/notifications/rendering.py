"""Jinja2 templates in fr / en / de: one file per (language, kind) with three blocks, `subject`,
`text` and `html`. The HTML block is rendered by an autoescaping environment, the others not."""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from services.notifications.domain import Kind, language_of

TEMPLATES = Path(__file__).parent / "templates"
FOOTERS = {
    "fr": "Message automatique de VRAC (Vers un Réseau d'Achat en Commun). "
    "Merci de ne pas y répondre.",
    "en": "Automatic message from VRAC (Vers un Réseau d'Achat en Commun). Please do not reply.",
    "de": "Automatische Nachricht von VRAC (Vers un Réseau d'Achat en Commun). "
    "Bitte nicht antworten.",
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _environment(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # Off only for the plain-text part and the subject, which are not HTML.
        autoescape=autoescape,  # noqa: S701
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=False,
    )


class Renderer:
    def __init__(self) -> None:
        self.text_env = _environment(autoescape=False)
        self.html_env = _environment(autoescape=True)

    def _block(
        self,
        env: jinja2.Environment,
        language: str,
        kind: Kind,
        block: str,
        context: dict[str, Any],
    ) -> str:
        template = env.get_template(f"{language}/{kind.value}.j2")
        macros = env.get_template(f"{language}/_macros.j2").module
        ctx = template.new_context({**context, "m": macros})
        return "".join(template.blocks[block](ctx))

    def render(self, kind: Kind, language: str, context: dict[str, Any]) -> Rendered:
        language = language_of(language)
        context = clean_values(context)
        subject = " ".join(self._block(self.text_env, language, kind, "subject", context).split())
        text = _tidy_text(self._block(self.text_env, language, kind, "text", context))
        body = self._block(self.html_env, language, kind, "html", context)
        layout = self.html_env.get_template("_layout.html")
        html = layout.render(
            lang=language,
            subject=subject,
            group_name=context.get("group_name"),
            body=Markup(body),  # noqa: S704 (rendered just above with autoescape on)
            footer=FOOTERS[language],
        )
        text = f"{text}\n\n-- \n{FOOTERS[language]}\n"
        return Rendered(subject=subject, text=text, html=html)


# Control characters (C0, DEL, C1) and Unicode line/paragraph separators in a value: a CR or LF
# in a product name would start a new line of the plain-text part (or end the subject), a NUL or
# ESC would reach the reader's terminal. The templates own the line breaks, values never do.
_CONTROL_RUN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def clean_value(text: str) -> str:
    """One value as it may appear in a mail: each run of control characters becomes a space."""
    return _CONTROL_RUN.sub(" ", text)


def clean_values(value: Any) -> Any:
    """Every string inside a template context (dicts and lists included), cleaned."""
    if isinstance(value, str):
        return clean_value(value)
    if isinstance(value, dict):
        return {key: clean_values(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [clean_values(item) for item in value]
    return value


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
