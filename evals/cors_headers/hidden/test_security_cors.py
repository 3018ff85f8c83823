"""Exploits: a hostile origin reading credentialed responses (wildcard or reflected CORS)."""

import pytest

ALLOWED = "https://app.example.com"
HOSTILE = [
    "https://evil.example",
    "null",
    "https://app.example.com.evil.example",
    "http://app.example.com",
]


@pytest.fixture
def api(make_client):
    return make_client(CORS_ORIGINS=f'["{ALLOWED}"]')


@pytest.mark.parametrize("origin", HOSTILE)
def test_a_hostile_origin_gets_no_credentialed_access(api, origin):
    response = api.get("/api/health", headers={"Origin": origin, "Cookie": "session=abc"})
    granted = response.headers.get("access-control-allow-origin")
    assert granted not in (origin, "*"), granted


@pytest.mark.parametrize("origin", HOSTILE)
def test_a_hostile_preflight_is_not_allowed(api, origin):
    response = api.options(
        "/api/health",
        headers={"Origin": origin, "Access-Control-Request-Method": "DELETE"},
    )
    assert response.headers.get("access-control-allow-origin") not in (origin, "*")


def test_no_origin_is_allowed_when_none_is_configured(make_client):
    api = make_client(CORS_ORIGINS="[]")
    response = api.get("/api/health", headers={"Origin": ALLOWED, "Cookie": "session=abc"})
    assert "access-control-allow-origin" not in response.headers
