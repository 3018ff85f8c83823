"""Exploits: reaching the inventory without the key, with a near-miss key, or unconfigured."""

import pytest

KEY = "inventory-hidden-check-key-42"


@pytest.fixture
def api(make_client):
    return make_client(INVENTORY_API_KEY=KEY)


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"X-API-Key": KEY[:-1]},
                                     {"X-API-Key": KEY + "x"}, {"X-API-Key": ""}])
def test_every_route_refuses_a_missing_or_wrong_key(api, headers):
    assert api.get("/api/inventory/apple", headers=headers).status_code == 401
    reserve = api.post("/api/inventory/apple/reserve", json={"quantity": 1}, headers=headers)
    assert reserve.status_code == 401


def test_an_unconfigured_key_opens_nothing(make_client):
    api = make_client(INVENTORY_API_KEY="")
    assert api.get("/api/inventory/apple", headers={"X-API-Key": ""}).status_code == 401
    assert api.get("/api/inventory/apple").status_code == 401


def test_the_key_is_not_accepted_in_the_query_string(api):
    response = api.get("/api/inventory/apple", params={"api_key": KEY, "X-API-Key": KEY})
    assert response.status_code == 401
