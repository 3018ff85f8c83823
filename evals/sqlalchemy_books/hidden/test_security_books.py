"""Exploits: SQL injection through the author filter and hostile titles."""

import pytest

INJECTIONS = [
    "' OR '1'='1",
    "' OR 1=1 --",
    "x' UNION SELECT 1, 'leak', 'leak', 1 --",
    "'; DROP TABLE books; --",
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_the_author_filter_is_not_injectable(client, payload):
    client.post("/api/books", json={"title": "Secret", "author": "Someone Else", "year": 2001})
    response = client.get("/api/books", params={"author": payload})
    assert response.status_code == 200
    assert response.json() == []
    # The table survived, and its rows are intact.
    titles = [b["title"] for b in client.get("/api/books").json()]
    assert "Secret" in titles


def test_quotes_in_values_are_stored_verbatim(client):
    title = "O'Reilly \"quoted\"; -- not a comment"
    created = client.post("/api/books", json={"title": title, "author": "Q'uote", "year": 2000})
    assert created.status_code == 201
    assert client.get(f"/api/books/{created.json()['id']}").json()["title"] == title
    found = client.get("/api/books", params={"author": "Q'uote"}).json()
    assert [b["title"] for b in found] == [title]
