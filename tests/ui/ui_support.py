"""Shared constants for the notebook front-end tests: the scripted sessions they replay."""

from __future__ import annotations

from pathlib import Path

CASSETTES = Path(__file__).parent / "cassettes"
PING = CASSETTES / "ping.yaml"
PING_PROMPT = "Add GET /api/ping returning a pong."
ASK = CASSETTES / "ask.yaml"
ASK_PROMPT = "Add pagination to the API."
OFFLINE_ENV = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "WORKBENCH_MODE", "CI")
