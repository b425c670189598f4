from services.web.csrf import CsrfSigner


def test_token_matches_its_cookie_only():
    signer = CsrfSigner("secret")
    cookie = signer.new_cookie_value()
    token = signer.token_for(cookie)
    assert signer.is_valid(token, cookie)
    assert not signer.is_valid(token, signer.new_cookie_value())
    assert not signer.is_valid(token, None)
    assert not signer.is_valid(None, cookie)
    assert not signer.is_valid("", cookie)


def test_token_signed_with_another_secret_is_refused():
    cookie = CsrfSigner.new_cookie_value()
    forged = CsrfSigner("attacker").token_for(cookie)
    assert not CsrfSigner("secret").is_valid(forged, cookie)


def test_tampered_or_expired_token_is_refused():
    signer = CsrfSigner("secret")
    cookie = signer.new_cookie_value()
    token = signer.token_for(cookie)
    assert not signer.is_valid(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], cookie)
    assert not signer.is_valid(token, cookie, max_age=-1)


def test_cookie_values_are_random():
    assert len({CsrfSigner.new_cookie_value() for _ in range(50)}) == 50
