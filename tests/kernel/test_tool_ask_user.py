"""ask_user: answered by a provider, or at once "nobody is available" without blocking."""

import io
import sys
from pathlib import Path

import pytest

from agent_kernel.project.workspace import Workspace
from agent_kernel.tools.ask_user import NOBODY, AskUserTool, answers_from, chain, cli_answer
from agent_kernel.tools.base import ToolContext, ToolError

tool = AskUserTool()


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws")


def test_no_provider_returns_at_once(workspace):
    ctx = ToolContext(workspace=workspace)
    out = tool({"question": "JWT or sessions?", "choices": ["JWT", "sessions"]}, ctx)
    assert out == NOBODY
    assert "proceed on stated assumptions" in out and "contract" in out


def test_provider_without_an_answer_is_nobody(workspace):
    ctx = ToolContext(workspace=workspace, answer=lambda question, choices: None)
    assert tool({"question": "Anything?"}, ctx) == NOBODY


def test_provider_receives_question_and_choices(workspace):
    seen = []

    def provider(question, choices):
        seen.append((question, choices))
        return choices[1]

    ctx = ToolContext(workspace=workspace, answer=provider)
    out = tool({"question": "  Page style? ", "choices": ["offset", "cursor"]}, ctx)
    assert out == "The user answered: cursor"
    assert seen == [("Page style?", ["offset", "cursor"])]


def test_answers_from_a_mapping(workspace):
    provider = answers_from(
        {
            "Which auth scheme should the API use?": "OAuth2 password flow with JWT",
            "pagination": "cursor based",
            "pagination for items": "offset, 20 per page",
        }
    )
    ctx = ToolContext(workspace=workspace, answer=provider)
    exact = tool({"question": "which AUTH scheme should the API use?"}, ctx)
    assert exact == "The user answered: OAuth2 password flow with JWT"
    # The longest key found in the question wins.
    items = tool({"question": "What Pagination for items do you want?"}, ctx)
    assert items.endswith("offset, 20 per page")
    assert tool({"question": "Pagination for users?"}, ctx).endswith("cursor based")
    assert tool({"question": "Which database?"}, ctx) == NOBODY


def test_answers_from_a_list_are_consumed_in_order(workspace):
    ctx = ToolContext(workspace=workspace, answer=answers_from(["yes", "PostgreSQL"]))
    assert tool({"question": "Add an index?"}, ctx) == "The user answered: yes"
    assert tool({"question": "Which database?"}, ctx) == "The user answered: PostgreSQL"
    assert tool({"question": "Anything else?"}, ctx) == NOBODY


def test_answers_from_rejects_a_bare_string():
    with pytest.raises(TypeError):
        answers_from("yes")


def test_chain_takes_the_first_answer():
    calls = []

    def silent(question, choices):
        calls.append("silent")
        return None

    provider = chain(None, silent, answers_from({"db": "SQLite"}), answers_from(["fallback"]))
    assert provider("Which db?", None) == "SQLite"
    assert provider("Other?", None) == "fallback"
    assert provider("More?", None) is None
    assert calls == ["silent", "silent", "silent"]


def test_cli_answer_is_silent_when_not_interactive(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("1\n"))
    assert cli_answer("Which?", ["a", "b"]) is None


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("2\n", "b"), ("something else\n", "something else"), ("\n", None), ("", None)],
)
def test_cli_answer_on_a_terminal(monkeypatch, capsys, typed, expected):
    monkeypatch.setattr(sys, "stdin", FakeTty(typed))
    assert cli_answer("Which?", ["a", "b"]) == expected
    shown = capsys.readouterr().err
    assert "The agent asks: Which?" in shown and "  2. b" in shown


def test_bad_input_and_failing_provider(workspace):
    ctx = ToolContext(workspace=workspace)
    with pytest.raises(ToolError, match="question"):
        tool({"question": "  "}, ctx)
    with pytest.raises(ToolError, match="choices"):
        tool({"question": "Which?", "choices": "a, b"}, ctx)

    def broken(question, choices):
        raise RuntimeError("panel closed")

    with pytest.raises(ToolError, match="panel closed"):
        tool({"question": "Which?"}, ToolContext(workspace=workspace, answer=broken))


def test_definition():
    definition = tool.definition()
    assert definition["name"] == "ask_user"
    assert definition["input_schema"]["required"] == ["question"]
    assert definition["input_schema"]["properties"]["choices"]["type"] == "array"
