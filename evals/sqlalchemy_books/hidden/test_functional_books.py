"""Books are stored in the database and read back through the API."""

import os

from sqlalchemy import create_engine, inspect, text


def add(client, title, author, year):
    response = client.post("/api/books", json={"title": title, "author": author, "year": year})
    assert response.status_code == 201, response.text
    return response.json()


def test_create_answers_201_with_the_stored_book(client):
    book = add(client, "Dune", "Frank Herbert", 1965)
    assert book["title"] == "Dune" and book["author"] == "Frank Herbert"
    assert book["year"] == 1965 and isinstance(book["id"], int)


def test_get_by_id_and_404(client):
    book = add(client, "Emma", "Jane Austen", 1815)
    assert client.get(f"/api/books/{book['id']}").json() == book
    assert client.get("/api/books/999999").status_code == 404


def test_list_filters_by_exact_author(client):
    add(client, "Persuasion", "Jane Austen", 1817)
    add(client, "Neuromancer", "William Gibson", 1984)
    everyone = client.get("/api/books").json()
    assert {b["title"] for b in everyone} >= {"Persuasion", "Neuromancer"}
    austen = client.get("/api/books", params={"author": "Jane Austen"}).json()
    assert [b["title"] for b in austen] == ["Persuasion"]
    assert client.get("/api/books", params={"author": "Jane"}).json() == []


def test_rows_live_in_the_books_table(client):
    add(client, "Kindred", "Octavia E. Butler", 1979)
    engine = create_engine(os.environ["DATABASE_URL"])
    try:
        assert "books" in inspect(engine).get_table_names()
        with engine.connect() as connection:
            titles = connection.execute(text("SELECT title FROM books")).scalars().all()
        assert "Kindred" in titles
    finally:
        engine.dispose()
