"""Pages are correct and large responses are compressed."""


def test_the_default_page(client):
    response = client.get("/api/products")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 5000 and body["limit"] == 50 and body["offset"] == 0
    assert [p["id"] for p in body["items"]] == list(range(1, 51))
    assert body["items"][0] == {"id": 1, "name": "Product 1", "price": 1.5}


def test_limit_and_offset(client):
    body = client.get("/api/products", params={"limit": 10, "offset": 4995}).json()
    assert [p["id"] for p in body["items"]] == [4996, 4997, 4998, 4999, 5000]
    assert body["limit"] == 10 and body["offset"] == 4995
    page = client.get("/api/products", params={"limit": 100, "offset": 100}).json()
    assert len(page["items"]) == 100 and page["items"][0]["id"] == 101


def test_large_responses_are_gzipped(client):
    response = client.get("/api/products", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("content-encoding") == "gzip"
    assert response.json()["items"][0]["id"] == 1


def test_small_responses_are_not_compressed(client):
    response = client.get("/api/health", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("content-encoding") != "gzip"
