"""The agent definition: the repo's file loads, covers the persona, and bad files are refused."""

from __future__ import annotations

import pytest

from agent_kernel.agent.definition import (
    AgentDefinition,
    AgentDefinitionError,
    default_agent_path,
    load_agent,
    parse_agent,
)
from agent_kernel.agent.models import deprecated_model_ids, sdk_model_ids
from agent_kernel.agent.toolset import agent_policy
from agent_kernel.tools import default_tools

GOOD = """---
name: tiny-agent
description: A small test agent.
model: haiku
color: blue
tools: [str_replace_based_edit_tool, run_tests]
---

You are small.
"""


def test_the_repo_agent_definition_loads(kit):
    agent = load_agent()

    assert agent.path == kit.REPO / ".claude" / "agents" / "fastapi-backend-agent.md"
    assert agent.path == default_agent_path()
    assert agent.name == "fastapi-backend-agent"
    assert "FastAPI" in agent.description
    assert agent.model in ("sonnet", "opus", "haiku") or agent.model.startswith("claude-")
    # Claude Code's names in the file; the workbench runs its own tools for them.
    native = agent_policy(agent).native
    assert native == {tool.name for tool in default_tools()} | {"run_command"}


@pytest.mark.parametrize(
    "phrase",
    [
        "Execution Contract",
        "ask_user",
        "inspect_api",
        "smallest viable diff",
        "ADR",
        "submit_result",
        "run_tests",
        "Prompt History Record",
    ],
)
def test_the_persona_covers_the_rules(phrase):
    body = load_agent().system_prompt
    assert phrase.lower() in body.lower()


def test_the_persona_never_writes_an_adr_on_its_own():
    body = load_agent().system_prompt.lower()
    assert "adr" in body
    assert "the user decides" in body or "never" in body


def test_the_body_is_the_prompt_and_not_the_front_matter():
    agent = load_agent()
    assert not agent.system_prompt.startswith("---")
    assert "description:" not in agent.system_prompt.splitlines()[0]


def test_the_repo_agent_model_resolves_to_a_current_sdk_id():
    model = load_agent().resolved_model()
    assert model in sdk_model_ids()
    assert model not in deprecated_model_ids()


def test_a_good_file_parses(tmp_path):
    path = tmp_path / "tiny.md"
    path.write_text(GOOD, encoding="utf-8")
    agent = load_agent(path)

    assert agent == AgentDefinition(
        name="tiny-agent",
        description="A small test agent.",
        system_prompt="You are small.",
        model="haiku",
        color="blue",
        tools=("str_replace_based_edit_tool", "run_tests"),
        path=path,
    )


def test_tools_as_a_comma_separated_string_and_inherit_model():
    agent = parse_agent(
        "---\nname: a\ndescription: b\nmodel: inherit\ntools: Read, Bash ,run_tests\n---\nbody\n"
    )
    assert agent.tools == ("Read", "Bash", "run_tests")
    assert agent.model == "sonnet"


def test_a_missing_model_defaults_to_sonnet():
    assert parse_agent("---\nname: a\ndescription: b\n---\nbody").model == "sonnet"


def test_a_body_with_a_horizontal_rule_stays_whole():
    agent = parse_agent("---\nname: a\ndescription: b\n---\nfirst\n\n---\n\nsecond\n")
    assert agent.system_prompt == "first\n\n---\n\nsecond"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: a\ndescription: b\n\nbody", "must start with a '---' YAML front matter block"),
        ("---\nname: a\ndescription: b\nbody without end", "front matter is not closed"),
        ("---\nname: [a\ndescription: b\n---\nbody", "line 3, column 12: not valid YAML"),
        ("---\n- a\n- b\n---\nbody", "front matter must be a mapping"),
        ("---\ndescription: b\n---\nbody", "missing name"),
        ("---\nname: a\n---\nbody", "missing description"),
        ("---\nname: ''\ndescription: ''\n---\nbody", "missing name, description"),
        ("---\nname: a\ndescription: b\n---\n   \n", "the body (the system prompt) is empty"),
        ("---\nname: a\ndescription: b\ntools: 3\n---\nbody", "`tools` must be a list"),
    ],
)
def test_malformed_files_are_refused_clearly(tmp_path, text, message):
    path = tmp_path / "broken-agent.md"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(AgentDefinitionError) as caught:
        load_agent(path)

    assert message in str(caught.value)
    assert str(caught.value).startswith("broken-agent.md: ")


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(AgentDefinitionError, match="agent definition not found"):
        load_agent(tmp_path / "nope.md")


def test_windows_line_ends_and_a_byte_order_mark_are_fine():
    text = "\ufeff---\r\nname: a\r\ndescription: b\r\n---\r\nThe prompt.\r\n"
    agent = parse_agent(text)
    assert (agent.name, agent.description, agent.system_prompt) == ("a", "b", "The prompt.")


def test_a_binary_file_is_refused_clearly(tmp_path):
    path = tmp_path / "agent.md"
    path.write_bytes(b"---\nname: \xff\n---\nbody")
    with pytest.raises(AgentDefinitionError, match=r"^agent.md: cannot be read as UTF-8 text"):
        load_agent(path)
