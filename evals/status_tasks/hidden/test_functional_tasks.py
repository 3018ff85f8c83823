"""Each operation answers the status code the prompt names."""

import uuid


def new_title():
    return f"task {uuid.uuid4().hex[:8]}"


def create(client, title=None):
    response = client.post("/api/tasks", json={"title": title or new_title()})
    assert response.status_code == 201, response.text
    return response


def test_create_is_201_with_location(client):
    response = create(client, "write the report " + uuid.uuid4().hex[:6])
    task = response.json()
    assert task["done"] is False
    assert response.headers["location"].endswith(f"/api/tasks/{task['id']}")


def test_duplicate_title_is_409(client):
    title = new_title()
    create(client, title)
    assert client.post("/api/tasks", json={"title": title}).status_code == 409


def test_get_is_200_or_404(client):
    task = create(client).json()
    assert client.get(f"/api/tasks/{task['id']}").json() == task
    assert client.get("/api/tasks/987654321").status_code == 404


def test_patch_updates_done_or_404(client):
    task = create(client).json()
    response = client.patch(f"/api/tasks/{task['id']}", json={"done": True})
    assert response.status_code == 200
    assert response.json() == {**task, "done": True}
    assert client.patch("/api/tasks/987654321", json={"done": True}).status_code == 404


def test_delete_is_204_empty_then_404(client):
    task = create(client).json()
    response = client.delete(f"/api/tasks/{task['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert client.delete(f"/api/tasks/{task['id']}").status_code == 404


def test_a_missing_title_is_422(client):
    assert client.post("/api/tasks", json={}).status_code == 422
