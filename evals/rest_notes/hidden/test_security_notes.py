"""Exploits: a client choosing ids (mass assignment) and oversized input."""


def test_a_client_cannot_overwrite_a_note_by_sending_its_id(client):
    mine = client.post("/api/notes", json={"title": "mine", "body": "secret plan"}).json()
    attack = client.post(
        "/api/notes", json={"id": mine["id"], "title": "hijacked", "body": "overwritten"}
    )
    assert attack.status_code in (201, 422)
    if attack.status_code == 201:
        assert attack.json()["id"] != mine["id"]
    kept = client.get(f"/api/notes/{mine['id']}").json()
    assert kept["title"] == "mine"
    assert kept["body"] == "secret plan"


def test_a_megabyte_title_is_refused(client):
    response = client.post("/api/notes", json={"title": "x" * 1_000_000, "body": ""})
    assert response.status_code in (413, 422)
