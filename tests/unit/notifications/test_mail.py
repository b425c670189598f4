"""Header injection: whatever a name or address holds, the produced bytes parse back to exactly
the intended headers and the one intended recipient (Python 3.11's email package has known bugs
with encoded words and newlines in display names)."""

import email
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address

import pytest

from services.notifications.mail import (
    InvalidAddress,
    OutgoingMail,
    build_message,
    check_address,
    clean_display_name,
    make_address,
    parse_mailbox,
)
from tests.support.mail import EXPECTED_HEADERS

HOSTILE_NAMES = [
    "Eve\r\nBcc: evil@attacker.example",
    "Eve\nBcc: evil@attacker.example",
    "Eve\rBcc: evil@attacker.example",
    "Eve\n",
    "Eve\r\n\r\nbody injected",
    "=?UTF-8?Q?=0A?=Bcc: evil@attacker.example",
    "=?utf-8?q?A=0D=0ABcc:_evil@attacker.example?=",
    "=?UTF-8?B?QQ0KQmNjOiBldmlsQGF0dGFja2VyLmV4YW1wbGU=?=",
    "==?UTF-8?Q?=0A?=?=Bcc: evil@attacker.example",
    "Eve\x00\x0b\x0c\x1b[31m\x7f\u0085\u2028\u2029\ufeffBcc: evil@attacker.example",
    "Eve\tBcc:\tevil@attacker.example",
    'Eve", evil@attacker.example, "x',
    "Eve <evil@attacker.example>, Bob",
    "Zoé Müller-Łukasz 山田",
    "a" * 500,
]
HOSTILE_ADDRESSES = [
    "bob@example.org\r\nBcc: evil@attacker.example",
    "bob@example.org\n",
    "bob@example.org, evil@attacker.example",
    "bob@example.org>, <evil@attacker.example",
    "=?UTF-8?Q?=0A?=bob@example.org",
    "bob@example.org=?UTF-8?Q?=0A?=",
    "Bob <bob@example.org>",
    "bob @example.org",
    "bob@@example.org",
    "bob",
    "",
    '"evil@attacker.example"@example.org',
    "bob@example.org\x00",
    "bob@exa\u2028mple.org",
]


def mail_to(name: str, address: str, subject: str = "Votre commande") -> OutgoingMail:
    return OutgoingMail(
        sender=parse_mailbox("VRAC <commandes@vrac-asso.org>"),
        recipient=make_address(name, address),
        subject=subject,
        text="Bonjour\n",
        html="<p>Bonjour</p>",
        message_id="<1.2@notifications.vrac-asso.org>",
        language="fr",
        date=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


def parse_back(mail: OutgoingMail) -> email.message.EmailMessage:
    raw = build_message(mail).as_bytes()
    # Every header line ends with CRLF, and the header block ends at the first empty line.
    head, _, _ = raw.partition(b"\r\n\r\n")
    assert b"\n" not in head.replace(b"\r\n", b"")
    assert b"\r" not in head.replace(b"\r\n", b"")
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def all_recipients(message: email.message.EmailMessage) -> list[str]:
    found = []
    for header in ("To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc"):
        for value in message.get_all(header) or []:
            found += [a.addr_spec for a in value.addresses]
    return found


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_display_name_adds_no_header_and_no_recipient(name):
    parsed = parse_back(mail_to(name, "bob@example.org", subject=name))
    assert list(parsed.keys()) == EXPECTED_HEADERS
    assert all_recipients(parsed) == ["bob@example.org"]
    assert len(parsed["To"].addresses) == 1
    shown = parsed["To"].addresses[0].display_name
    assert shown == clean_display_name(name)
    assert not any(c in shown for c in "\r\n\x00\u2028\u2029")
    assert "=?" not in shown
    assert "\n" not in str(parsed["Subject"]) and "=?" not in str(parsed["Subject"])
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content().strip() == "Bonjour"


@pytest.mark.parametrize("address", HOSTILE_ADDRESSES)
def test_hostile_address_is_refused(address):
    with pytest.raises(InvalidAddress):
        make_address("Bob", address)


@pytest.mark.parametrize(
    "address", ["bob@example.org", "o'neil+vrac@mail.example.co.uk", "a.b-c_d@sub.example.fr"]
)
def test_ordinary_addresses_pass_unchanged(address):
    assert check_address(address) == address
    parsed = parse_back(mail_to("Sarah VARDA", address))
    assert all_recipients(parsed) == [address]
    assert list(parsed.keys()) == EXPECTED_HEADERS


def test_headers_have_the_intended_values():
    parsed = parse_back(mail_to("Zoé VARDA", "zoe@example.org", "Livraison : Zoé"))
    assert parsed["From"].addresses[0] == Address("VRAC", "commandes", "vrac-asso.org")
    assert parsed["To"].addresses[0] == Address("Zoé VARDA", "zoe", "example.org")
    assert str(parsed["Subject"]) == "Livraison : Zoé"
    assert parsed["Message-ID"] == "<1.2@notifications.vrac-asso.org>"
    assert parsed["Content-Language"] == "fr"
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]


def test_clean_display_name_removes_nested_encoded_word_markers():
    assert clean_display_name("==??==") == "=="
    assert clean_display_name("=?=?UTF-8?Q?x?=?=") == "UTF-8?Q?x"
    assert clean_display_name("  Sarah \t VARDA \n") == "Sarah VARDA"


def test_mail_from_setting_is_checked_too():
    with pytest.raises(InvalidAddress):
        parse_mailbox("VRAC <commandes@vrac-asso.org>\r\nBcc: evil@attacker.example")
