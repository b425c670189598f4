"""Reading the mails the tests' SMTP servers receive: parse the raw bytes, take a part."""

import email
from email import policy

# The headers every outgoing mail carries, in this order (services.notifications.mail).
EXPECTED_HEADERS = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "MIME-Version",
    "Content-Type",
    "Content-Language",
]


def parse(raw: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def part_of(message: email.message.EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    return str(part.get_content())


def text_of(message: email.message.EmailMessage) -> str:
    return part_of(message, "plain")


def html_of(message: email.message.EmailMessage) -> str:
    return part_of(message, "html")
