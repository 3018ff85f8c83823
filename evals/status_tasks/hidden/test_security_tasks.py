"""Exploits: overwriting server-owned fields (mass assignment) and oversized titles."""

import uuid


def test_create_ignores_client_ids_and_done(client):
    first = client.post("/api/tasks", json={"title": f"a {uuid.uuid4().hex}"}).json()
    attack = client.post(
        "/api/tasks", json={"title": f"b {uuid.uuid4().hex}", "id": first["id"], "done": True}
    )
    assert attack.status_code in (201, 422)
    if attack.status_code == 201:
        assert attack.json()["id"] != first["id"]
        assert attack.json()["done"] is False
    assert client.get(f"/api/tasks/{first['id']}").json() == first


def test_patch_cannot_change_the_id_or_title(client):
    task = client.post("/api/tasks", json={"title": f"c {uuid.uuid4().hex}"}).json()
    response = client.patch(
        f"/api/tasks/{task['id']}", json={"done": True, "id": 999_999, "title": "renamed"}
    )
    assert response.status_code in (200, 422)
    current = client.get(f"/api/tasks/{task['id']}").json()
    assert current["title"] == task["title"]
    assert client.get("/api/tasks/999999").status_code == 404


def test_a_megabyte_title_is_refused(client):
    response = client.post("/api/tasks", json={"title": "t" * 1_000_000})
    assert response.status_code in (413, 422)
