"""A refusal of another service (an `ApiError`) as a page shows it: the service's message, or the
catalog's messages next to the fields it names."""

from collections.abc import Collection

from .. import i18n
from ..apiclient import ApiError
from ..i18n import _
from ..validation import field_message


def refusal_message(error: ApiError, shown: Collection[int]) -> str:
    """The service's message for a refusal the page shows (its status is one of `shown`), in the
    reader's language; any other error is raised again (the error page)."""
    if error.status not in shown:
        raise error
    return error.message(i18n.current_language())


def api_field_errors(error: ApiError, lang: str, known: set[str]) -> dict[str, str]:
    """Errors of a 422 next to their field, in the catalog's words (a service's field messages
    are pydantic's English); anything else under "_form"."""
    found: dict[str, str] = {}
    for name in error.field_errors():
        if name in known:
            found.setdefault(name, field_message(name))
        else:
            found.setdefault("_form", _("Une des valeurs saisies n'est pas valide."))
    if not found:
        found["_form"] = error.message(lang)
    return found
