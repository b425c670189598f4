"""`next=` after log-in: only this site's own paths, whatever a hostile link encodes
(issue 11, item 1: "/<TAB>/evil.example" was answered as a redirect browsers read as
"//evil.example")."""

import pytest

from services.web.sessions import is_local_path, login_url
from services.web.views.common import safe_next

HOSTILE = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\r\n/evil.example",
    "\t/evil.example",
    "/evil.example\r\nSet-Cookie: x=1",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/x\\y",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%0d%0a/evil.example",
    "/page?x=%0d%0aLocation:%20http://evil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%5c/evil.example",
    "/%252F/evil.example",
    "/%25252F/evil.example",
    "/%00/evil.example",
    "/ /evil.example",
    "/ evil",
    "https://evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "",
    "/\u3000/evil.example",
    "/\uff0f/evil.example",
    "/\u2028/evil.example",
    "/\u200b/evil.example",
    "/%E3%80%80/evil.example",
    "/%E2%80%8B/evil.example",
    "/" + "a" * 3000,
]

LOCAL = [
    "/",
    "/groupes",
    "/g/3-cocus/commandes",
    "/g/3-cocus/d/0b6f5a36-1c1e-4a39-8d0c-3f0b5b7f4f11",
    "/compte/modifier?next=%2Fgroupes",
    "/g/3-cocus/coord?onglet=commandes&q=a%20b",
    "/g/caf%C3%A9/commandes",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_next_is_refused(value: str) -> None:
    assert not is_local_path(value)
    assert safe_next(value, "/groupes") == "/groupes"
    assert "next" not in login_url(value)


@pytest.mark.parametrize("value", LOCAL)
def test_own_paths_are_kept(value: str) -> None:
    assert is_local_path(value)
    assert safe_next(value, "/groupes") == value
