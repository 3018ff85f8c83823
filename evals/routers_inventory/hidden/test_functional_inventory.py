"""The router serves the injected service and can be rewired through overrides."""

import pytest

KEY = "inventory-hidden-check-key-42"


@pytest.fixture
def api(make_client):
    return make_client(INVENTORY_API_KEY=KEY)


@pytest.fixture
def fake_stock(api):
    from sandbox_app.api.routes.inventory import InventoryService, get_inventory_service

    service = InventoryService({"kiwi": 3})
    api.app.dependency_overrides[get_inventory_service] = lambda: service
    yield service
    api.app.dependency_overrides.clear()


def get(api, path, **kwargs):
    return api.get(path, headers={"X-API-Key": KEY}, **kwargs)


def test_the_default_service_has_the_starting_stock(api):
    from sandbox_app.api.routes.inventory import get_inventory_service

    assert get_inventory_service() is get_inventory_service()
    response = get(api, "/api/inventory/pear")
    assert response.status_code == 200
    assert response.json() == {"sku": "pear", "quantity": 0}


def test_an_override_replaces_the_service(api, fake_stock):
    assert get(api, "/api/inventory/kiwi").json() == {"sku": "kiwi", "quantity": 3}
    assert get(api, "/api/inventory/apple").status_code == 404


def test_reserve_takes_stock_or_answers_409(api, fake_stock):
    headers = {"X-API-Key": KEY}
    response = api.post("/api/inventory/kiwi/reserve", json={"quantity": 2}, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"sku": "kiwi", "quantity": 1}
    too_many = api.post("/api/inventory/kiwi/reserve", json={"quantity": 5}, headers=headers)
    assert too_many.status_code == 409
    assert get(api, "/api/inventory/kiwi").json()["quantity"] == 1


def test_reserve_needs_a_positive_quantity(api, fake_stock):
    headers = {"X-API-Key": KEY}
    for quantity in (0, -3):
        response = api.post(
            "/api/inventory/kiwi/reserve", json={"quantity": quantity}, headers=headers
        )
        assert response.status_code == 422
