"""The environment code of the workspace runs in: the caller's, less anything like a credential.

The agent's tests, the warm pytest server and the eval harness's checks all start from it,
so a test that prints its environment finds no API key, token or password.
"""

from __future__ import annotations

import os

SECRET_MARKERS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH")


def safe_environment(root: str) -> dict[str, str]:
    """os.environ without anything that looks like a credential, rooted at the workspace."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.upper().startswith("ANTHROPIC_")
        and not any(marker in name.upper() for marker in SECRET_MARKERS)
    }
    # The workspace's pytest.ini decides, not the caller's pytest (addopts, plugins, workers).
    env = {name: value for name, value in env.items() if not name.startswith("PYTEST_")}
    env["PYTHONPATH"] = root
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env
