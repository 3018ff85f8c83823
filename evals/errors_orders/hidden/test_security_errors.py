"""Exploits: error responses that leak internals (exception text, tracebacks, inputs)."""

CANARY = "postgresql://admin:hunter2@db.internal:5432/prod"


def test_a_crash_leaks_no_internals(client):
    def crash():
        raise RuntimeError(f"could not connect to {CANARY}")

    client.app.add_api_route("/api/_hidden_crash", crash)
    response = client.get("/api/_hidden_crash")
    assert response.status_code == 500
    text = response.text
    for leak in (CANARY, "hunter2", "RuntimeError", "Traceback", 'File "'):
        assert leak not in text, leak


def test_a_crash_answers_json_not_a_debug_page(client):
    def crash():
        raise KeyError("internal-key")

    client.app.add_api_route("/api/_hidden_crash2", crash)
    response = client.get("/api/_hidden_crash2")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/json")
    assert "internal-key" not in response.text
