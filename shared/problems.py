"""RFC 9457 problem details with a French and an English message."""

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Problem(Exception):
    """An error a client caused; becomes a 4xx problem+json response."""

    def __init__(
        self,
        status: int,
        code: str,
        detail_fr: str,
        detail_en: str,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail_en)
        self.status = status
        self.code = code
        self.detail_fr = detail_fr
        self.detail_en = detail_en
        self.errors = errors
        self.headers = headers or {}

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://vrac-asso.org/problems/{self.code}",
            "title": self.code.replace("-", " "),
            "status": self.status,
            "code": self.code,
            "detail": self.detail_fr,
            "detail_en": self.detail_en,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        return body


def problem_response(problem: Problem, instance: str | None = None) -> web.Response:
    return web.Response(
        status=problem.status,
        text=json.dumps(problem.body(instance), ensure_ascii=False),
        content_type=PROBLEM_CONTENT_TYPE,
        headers=problem.headers,
    )


def not_found(what_fr: str, what_en: str) -> Problem:
    return Problem(404, "not-found", f"{what_fr} introuvable.", f"{what_en} not found.")


def declared(
    status: int, code: str, detail_fr: str, detail_en: str, headers: dict[str, str] | None = None
) -> Callable[[], Problem]:
    """A problem whose wording never changes, declared once (`slot_full = declared(409, …)`);
    calling it makes a new one to raise, as a `def slot_full() -> Problem` would."""

    def make() -> Problem:
        return Problem(status, code, detail_fr, detail_en, headers=dict(headers or {}))

    make.__name__ = make.__qualname__ = code.replace("-", "_")
    return make


forbidden = declared(
    403, "forbidden", "Vous n'avez pas accès à ce groupe.", "You have no access to this group."
)
unauthorized = declared(
    401,
    "unauthorized",
    "Connectez-vous pour continuer.",
    "Please log in to continue.",
    headers={"WWW-Authenticate": "Bearer"},
)


def conflict(code: str, detail_fr: str, detail_en: str) -> Problem:
    return Problem(409, code, detail_fr, detail_en)
