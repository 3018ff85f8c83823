"""Login issues a token and /me honours it."""

import pytest

SECRET = "hidden-check-signing-key-0123456789abcdef"
PASSWORD = "wonderland-2026"


@pytest.fixture
def api(make_client):
    return make_client(JWT_SECRET=SECRET, DEMO_PASSWORD=PASSWORD)


def login(api, username="alice", password=PASSWORD):
    return api.post("/api/auth/token", json={"username": username, "password": password})


def test_login_issues_a_bearer_token(api):
    response = login(api)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"].lower() == "bearer"
    assert body["access_token"].count(".") == 2


def test_me_answers_the_user_of_the_token(api):
    token = login(api).json()["access_token"]
    response = api.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {"username": "alice"}


def test_me_without_a_token_is_401(api):
    assert api.get("/api/me").status_code == 401


def test_a_wrong_password_is_401(api):
    assert login(api, password="not-the-password").status_code == 401


def test_the_token_is_hs256_with_sub_and_a_30_minute_expiry(api):
    import jwt

    token = login(api).json()["access_token"]
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["sub"] == "alice"
    lifetime = claims["exp"] - claims.get("iat", claims["exp"] - 1800)
    assert 60 <= lifetime <= 1800 + 5
