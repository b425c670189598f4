"""Signed double-submit CSRF token.

A random value lives in a cookie; every form carries that value signed with the server secret
(itsdangerous, time-limited). A POST is accepted only when the form's token is genuine, recent,
and matches the cookie: another site can neither read the cookie nor forge the signature."""

import hmac
import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer

FIELD = "csrf_token"
MAX_AGE_SECONDS = 12 * 3600


class CsrfSigner:
    def __init__(self, secret: str) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="vrac-web-csrf")

    @staticmethod
    def new_cookie_value() -> str:
        return secrets.token_urlsafe(32)

    def token_for(self, cookie_value: str) -> str:
        return str(self.serializer.dumps(cookie_value))

    def is_valid(
        self, token: str | None, cookie_value: str | None, max_age: int = MAX_AGE_SECONDS
    ) -> bool:
        if not token or not cookie_value:
            return False
        try:
            signed_value = self.serializer.loads(token, max_age=max_age)
        except BadSignature:
            return False
        if not isinstance(signed_value, str):
            return False
        return hmac.compare_digest(signed_value.encode(), cookie_value.encode())
