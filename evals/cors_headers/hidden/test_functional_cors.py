"""Allowed origins get CORS answers; every response carries the security headers."""

import pytest

ALLOWED = "https://app.example.com"
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.fixture
def api(make_client):
    return make_client(CORS_ORIGINS=f'["{ALLOWED}"]')


def test_preflight_from_an_allowed_origin(api):
    response = api.options(
        "/api/health",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers


def test_a_simple_request_from_an_allowed_origin(api):
    response = api.get("/api/health", headers={"Origin": ALLOWED})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED


@pytest.mark.parametrize("path,status", [("/api/health", 200), ("/api/nowhere", 404)])
def test_security_headers_on_every_response(api, path, status):
    response = api.get(path)
    assert response.status_code == status
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, name
    hsts = response.headers.get("strict-transport-security", "")
    assert "max-age=63072000" in hsts and "includesubdomains" in hsts.lower()
