"""Errors share one envelope; the orders route uses it."""


def envelope(response):
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str)
    assert isinstance(body["error"]["message"], str)
    return body["error"]


def test_order_one_is_served(client):
    response = client.get("/api/orders/1")
    assert response.status_code == 200
    assert response.json() == {"id": 1, "item": "book", "quantity": 2}


def test_an_unknown_order_is_404_order_not_found(client):
    response = client.get("/api/orders/424242")
    assert response.status_code == 404
    assert envelope(response)["code"] == "order_not_found"


def test_validation_errors_use_the_envelope_with_details(client):
    response = client.get("/api/orders/not-a-number")
    assert response.status_code == 422
    error = envelope(response)
    assert error["code"] == "validation_error"
    assert isinstance(error["details"], list) and error["details"]


def test_other_http_errors_keep_their_status_in_the_envelope(client):
    response = client.get("/api/no-such-route")
    assert response.status_code == 404
    assert envelope(response)["code"]


def test_an_unhandled_exception_is_500_internal_error(client):
    def explode():
        raise ValueError("boom")

    client.app.add_api_route("/api/_hidden_explode", explode)
    response = client.get("/api/_hidden_explode")
    assert response.status_code == 500
    assert envelope(response)["code"] == "internal_error"
