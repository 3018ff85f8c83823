"""Exploits: password echo, privilege fields (mass assignment), oversized input."""

VALID = {
    "username": "grace_hopper",
    "email": "grace@example.com",
    "password": "cobol-compiler-1959",
    "age": 85,
}


def test_the_password_is_never_echoed(client):
    response = client.post("/api/signup", json=VALID)
    assert response.status_code == 201
    assert VALID["password"] not in response.text
    assert "password" not in response.json()


def test_privileged_fields_cannot_be_assigned(client):
    response = client.post("/api/signup", json={**VALID, "is_admin": True, "role": "admin"})
    assert response.status_code in (201, 422)
    if response.status_code == 201:
        body = response.json()
        assert body.get("is_admin") is not True
        assert body.get("role") != "admin"


def test_an_oversized_username_is_refused(client):
    response = client.post("/api/signup", json={**VALID, "username": "a" * 200_000})
    assert response.status_code in (413, 422)


def test_a_megabyte_password_is_refused(client):
    # Unbounded passwords make every later hash a denial-of-service lever.
    response = client.post("/api/signup", json={**VALID, "password": "p" * 1_000_000})
    assert response.status_code in (413, 422)
