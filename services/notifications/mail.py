"""Build a MIME message whose headers and recipients are exactly the ones intended.

Python 3.11's `email` package turns an encoded word such as `=?UTF-8?Q?=0A?=Bcc: x@y` in a display
name into a real header, and a bare newline in a name ends the header block. Every name, address
and subject is therefore cleaned (names, subjects) or checked (addresses) before it reaches the
standard library's `EmailMessage` / `Address`.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

MAX_NAME_LENGTH = 120
MAX_SUBJECT_LENGTH = 200
# Deliberately narrower than RFC 5322: what real member addresses look like, nothing that could
# be read as syntax (quotes, brackets, commas, spaces, encoded words).
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+"
_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
_ADDRESS = re.compile(rf"{_LOCAL}@{_DOMAIN}")


class InvalidAddress(ValueError):
    """An address that cannot be used safely: the mail to it is not sent."""


def _is_control(char: str) -> bool:
    # Cc: C0/C1 controls (CR, LF, TAB, NUL, ...); Cf: invisible format characters;
    # Zl/Zp: Unicode line and paragraph separators, which some readers treat as newlines.
    return unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


def clean_text(value: str, max_length: int) -> str:
    """A single line of text, safe in a header: no control characters, no encoded words."""
    text = "".join(" " if _is_control(c) else c for c in value)
    # An encoded word needs "=?": remove the marker until none is left (removal can create one).
    while "=?" in text or "?=" in text:
        text = text.replace("=?", "").replace("?=", "")
    text = " ".join(text.split())
    return text[:max_length].strip()


def clean_display_name(name: str) -> str:
    return clean_text(name, MAX_NAME_LENGTH)


def check_address(address: str) -> str:
    """The address itself, or InvalidAddress: never silently changed, never partly used."""
    if not isinstance(address, str) or len(address) > 254:
        raise InvalidAddress("address missing or too long")
    if address.count("@") != 1 or not _ADDRESS.fullmatch(address):
        raise InvalidAddress("address is not a plain mailbox")
    if "=?" in address or ".." in address or address.startswith(".") or ".@" in address:
        raise InvalidAddress("address is not a plain mailbox")
    return address


def make_address(display_name: str, address: str) -> Address:
    addr_spec = check_address(address)
    username, _, domain = addr_spec.partition("@")
    return Address(display_name=clean_display_name(display_name), username=username, domain=domain)


def parse_mailbox(value: str) -> Address:
    """A configured mailbox such as "VRAC <commandes@vrac-asso.org>" (the mail_from setting)."""
    if any(_is_control(c) for c in value) or "=?" in value or "," in value:
        raise InvalidAddress("mailbox setting holds control characters or several addresses")
    name, address = parseaddr(value)
    if not address:
        raise InvalidAddress("mailbox setting is not an address")
    return make_address(name, address)


@dataclass(frozen=True)
class OutgoingMail:
    sender: Address
    recipient: Address
    subject: str
    text: str
    html: str
    message_id: str
    language: str
    date: datetime

    @property
    def envelope_recipients(self) -> list[str]:
        return [self.recipient.addr_spec]


def build_message(mail: OutgoingMail) -> EmailMessage:
    """Exactly these headers: From, To, Subject, Date, Message-ID, Content-Language,
    Auto-Submitted, plus the MIME headers of a text + HTML alternative."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = mail.sender
    message["To"] = mail.recipient
    message["Subject"] = clean_text(mail.subject, MAX_SUBJECT_LENGTH)
    message["Date"] = format_datetime(mail.date)
    message["Message-ID"] = mail.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    # After the body: set_content() and add_alternative() move or drop every Content-* header.
    message["Content-Language"] = clean_text(mail.language, 8)
    return message
