"""The endpoint and the function behave, and the agent's own tests exist and pass."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    "text,slug",
    [
        ("Hello, World!", "hello-world"),
        ("  Crème Brûlée  ", "creme-brulee"),
        ("FastAPI 2026 -- release notes", "fastapi-2026-release-notes"),
        ("already-a-slug", "already-a-slug"),
    ],
)
def test_the_endpoint_slugifies(client, text, slug):
    response = client.get("/api/slugify", params={"text": text})
    assert response.status_code == 200
    assert response.json() == {"slug": slug}


def test_an_empty_slug_is_422(client):
    assert client.get("/api/slugify", params={"text": "!!! ???"}).status_code == 422


def test_the_pure_function_exists():
    from sandbox_app.services.slugs import slugify

    assert slugify("Ça va? Très bien") == "ca-va-tres-bien"


def test_the_agents_tests_exist_and_are_enough():
    path = Path(os.getcwd()) / "tests" / "test_slugify.py"
    assert path.is_file(), "tests/test_slugify.py is missing"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    tests = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    ]
    assert len(tests) >= 3, f"only {len(tests)} tests"


def test_the_agents_tests_pass():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_slugify.py"],
        cwd=os.getcwd(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout[-2000:]
