"""Sign-up validation accepts good registrations and refuses bad ones."""

import pytest

VALID = {
    "username": "ada_lovelace",
    "email": "ada@example.com",
    "password": "analytical-engine-1843",
    "age": 36,
}


def test_a_valid_registration_answers_201(client):
    response = client.post("/api/signup", json=VALID)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["username"] == "ada_lovelace"
    assert body["email"] == "ada@example.com"


@pytest.mark.parametrize(
    "field,value",
    [
        ("username", "ab"),
        ("username", "a" * 33),
        ("username", "ada lovelace"),
        ("email", "not-an-email"),
        ("email", "ada@"),
        ("password", "short"),
        ("age", 12),
        ("age", 121),
        ("age", "thirty"),
    ],
)
def test_an_invalid_field_answers_422(client, field, value):
    response = client.post("/api/signup", json={**VALID, field: value})
    assert response.status_code == 422, (field, value, response.text)


def test_a_missing_field_answers_422(client):
    body = {key: value for key, value in VALID.items() if key != "email"}
    assert client.post("/api/signup", json=body).status_code == 422
