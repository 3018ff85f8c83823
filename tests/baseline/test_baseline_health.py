"""The health route and the app's HTTP surface, on SQLite and on PostgreSQL."""

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from sandbox_app.core.db import get_session


def test_health_answers_200_and_reports_database_reachable(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "reachable"}


def test_unknown_route_is_json_404(client: TestClient) -> None:
    response = client.get("/api/no-such-route")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_health_lives_under_the_api_prefix_only(client: TestClient) -> None:
    assert client.get("/health").status_code == 404


def test_health_rejects_other_methods(client: TestClient) -> None:
    response = client.post("/api/health")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"


def test_health_really_touches_the_database(app: FastAPI, tmp_path) -> None:
    """A broken database must not be reported as reachable."""
    missing = tmp_path / "no-such-dir" / "x.db"
    broken = create_engine(f"sqlite:///{missing}")

    def broken_session() -> Iterator[Session]:
        with Session(broken) as session:
            yield session

    app.dependency_overrides[get_session] = broken_session
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/health")
    broken.dispose()
    assert response.status_code == 500
    assert "reachable" not in response.text


def test_openapi_lists_health_with_its_tag(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/api/health"]["get"]
    assert operation["tags"] == ["health"]
    assert "200" in operation["responses"]
    assert schema["info"]["title"] == "Sandbox API"
    assert set(schema["paths"]) == {"/api/health"}, "the baseline has no feature routes"
