"""The notes resource does what the prompt asks."""


def create(client, title="Groceries", body="milk, eggs"):
    response = client.post("/api/notes", json={"title": title, "body": body})
    assert response.status_code == 201, response.text
    return response.json()


def test_create_answers_201_with_a_server_assigned_id(client):
    note = create(client)
    assert note["title"] == "Groceries"
    assert note["body"] == "milk, eggs"
    assert isinstance(note["id"], int)


def test_get_and_list_return_the_note(client):
    note = create(client, "Read", "the FastAPI docs")
    response = client.get(f"/api/notes/{note['id']}")
    assert response.status_code == 200
    assert response.json() == note
    listed = client.get("/api/notes")
    assert listed.status_code == 200
    assert note in listed.json()


def test_unknown_note_is_404(client):
    assert client.get("/api/notes/987654321").status_code == 404


def test_delete_answers_204_then_the_note_is_gone(client):
    note = create(client, "Temporary", "delete me")
    response = client.delete(f"/api/notes/{note['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"/api/notes/{note['id']}").status_code == 404
    assert client.delete(f"/api/notes/{note['id']}").status_code == 404
