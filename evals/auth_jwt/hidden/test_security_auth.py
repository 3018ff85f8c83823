"""Exploits: alg none, forged and tampered tokens, expired tokens, user enumeration."""

import base64
import json
import time

import pytest

SECRET = "hidden-check-signing-key-0123456789abcdef"
PASSWORD = "wonderland-2026"


@pytest.fixture
def api(make_client):
    return make_client(JWT_SECRET=SECRET, DEMO_PASSWORD=PASSWORD)


def b64(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def me(api, token):
    return api.get("/api/me", headers={"Authorization": f"Bearer {token}"})


def test_an_alg_none_token_is_refused(api):
    claims = {"sub": "alice", "exp": int(time.time()) + 600}
    for alg in ("none", "None", "NONE"):
        token = f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(claims)}."
        assert me(api, token).status_code == 401, alg


def test_a_token_signed_with_another_key_is_refused(api):
    import jwt

    forged = jwt.encode(
        {"sub": "alice", "exp": int(time.time()) + 600},
        "attacker-chosen-key-that-is-long-enough",
        algorithm="HS256",
    )
    assert me(api, forged).status_code == 401


def test_a_tampered_payload_is_refused(api):
    token = api.post(
        "/api/auth/token", json={"username": "alice", "password": PASSWORD}
    ).json()["access_token"]
    header, _payload, signature = token.split(".")
    tampered = f"{header}.{b64({'sub': 'admin', 'exp': int(time.time()) + 600})}.{signature}"
    assert me(api, tampered).status_code == 401


def test_an_expired_token_is_refused(api):
    import jwt

    expired = jwt.encode(
        {"sub": "alice", "iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600},
        SECRET,
        algorithm="HS256",
    )
    assert me(api, expired).status_code == 401


def test_unknown_user_and_wrong_password_look_the_same(api):
    unknown = api.post("/api/auth/token", json={"username": "mallory", "password": PASSWORD})
    wrong = api.post("/api/auth/token", json={"username": "alice", "password": "guess-123"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
