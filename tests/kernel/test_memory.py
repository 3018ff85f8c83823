"""Project memory: the files Claude Code reads, their @imports, caps, and replay pinning them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from agent_kernel.agent.definition import load_agent
from agent_kernel.agent.system_prompt import build_system_prompt
from agent_kernel.api.cassette import load_cassette
from agent_kernel.project.workspace import Workspace
from agent_kernel.specs import memory as memory_module
from agent_kernel.specs.memory import import_targets, load_memory
from agent_kernel.workbench import Workbench


@pytest.fixture
def user_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "claude-config"
    folder.mkdir()
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(folder))
    return folder


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_every_memory_file_in_claude_codes_order_under_its_own_heading(tmp_path, user_dir):
    project = tmp_path / "project"
    write(user_dir / "CLAUDE.md", "user: prefer short answers")
    write(project / "AGENTS.md", "agents: run the tests")
    write(project / ".specify/memory/constitution.md", "constitution: test first")
    write(project / "CLAUDE.local.md", "local: my sandbox URL")
    write(project / ".claude/CLAUDE.md", "dot-claude: team rules")
    write(project / "CLAUDE.md", "project: relative imports")
    memory = load_memory(project)
    assert [f.kind for f in memory.files] == [
        "user",
        "project",
        "project",
        "local",
        "agents",
        "constitution",
    ]
    assert memory.paths[1:] == [
        "CLAUDE.md",
        ".claude/CLAUDE.md",
        "CLAUDE.local.md",
        "AGENTS.md",
        ".specify/memory/constitution.md",
    ]
    text = memory.render()
    positions = [text.index(f"### {path} (") for path in memory.paths[1:]]
    assert positions == sorted(positions)
    assert text.index("user: prefer") < text.index("project: relative imports")
    # the personal files are not what a cassette pins
    assert set(memory.digests()) == {
        "CLAUDE.md",
        ".claude/CLAUDE.md",
        "AGENTS.md",
        ".specify/memory/constitution.md",
    }


def test_user_memory_can_be_left_out_and_nothing_means_no_section(tmp_path, user_dir):
    write(user_dir / "CLAUDE.md", "user rules")
    project = tmp_path / "empty"
    project.mkdir()
    assert load_memory(project, user=False).files == []
    assert load_memory(project, user=False).render() == ""
    assert [f.kind for f in load_memory(project).files] == ["user"]


def test_imports_are_relative_to_the_importing_file_and_nested(tmp_path, user_dir):
    project = tmp_path / "p"
    write(project / "CLAUDE.md", "See @docs/guide.md for the rules.\n")
    write(project / "docs/guide.md", "Guide. Also @style/naming.md\n")
    write(project / "docs/style/naming.md", "snake_case everywhere")
    memory = load_memory(project)
    assert memory.paths == ["CLAUDE.md", "docs/guide.md", "docs/style/naming.md"]
    naming = memory.files[2]
    assert naming.imported_by == "docs/guide.md" and naming.depth == 2
    assert "### docs/style/naming.md (imported by docs/guide.md)" in memory.render()


def test_imports_stop_after_five_levels_with_a_note(tmp_path, user_dir):
    project = tmp_path / "p"
    write(project / "CLAUDE.md", "@l1.md")
    for level in range(1, 8):
        write(project / f"l{level}.md", f"level {level} @l{level + 1}.md")
    memory = load_memory(project)
    assert memory.paths == ["CLAUDE.md", "l1.md", "l2.md", "l3.md", "l4.md", "l5.md"]
    assert any("deeper than 5 levels" in note and "l6.md" in note for note in memory.notes)


def test_an_import_cycle_is_cut(tmp_path, user_dir):
    project = tmp_path / "p"
    write(project / "CLAUDE.md", "@a.md")
    write(project / "a.md", "a imports @b.md")
    write(project / "b.md", "b imports @a.md and @../p/CLAUDE.md")
    memory = load_memory(project)
    assert memory.paths == ["CLAUDE.md", "a.md", "b.md"]
    assert sum("cycle was cut" in note for note in memory.notes) == 2


def test_files_outside_the_project_are_refused(tmp_path, user_dir):
    project = tmp_path / "p"
    secret = write(tmp_path / "outside.md", "TOP SECRET outside the project")
    write(project / "CLAUDE.md", f"@../outside.md\n@{secret}\n@linked.md\n")
    (project / "linked.md").symlink_to(secret)
    memory = load_memory(project)
    assert memory.paths == ["CLAUDE.md"]
    assert "TOP SECRET" not in memory.render()
    assert sum("leads outside the project" in note for note in memory.notes) == 3


def test_a_memory_file_that_is_a_link_out_of_the_project_is_refused(tmp_path, user_dir):
    project = tmp_path / "p"
    project.mkdir()
    elsewhere = write(tmp_path / "elsewhere.md", "not ours")
    (project / "CLAUDE.md").symlink_to(elsewhere)
    memory = load_memory(project)
    assert memory.files == [] and "outside the project" in memory.notes[0]


def test_mentions_and_code_are_not_imports(tmp_path, user_dir):
    text = (
        "Use @app.get on routes, mail me at dev@example.com, see `@inline.md`.\n"
        "```\n@fenced.md\n```\n@real.md\n"
    )
    assert import_targets(text) == ["app.get", "real.md"]
    project = tmp_path / "p"
    write(project / "CLAUDE.md", text)
    for name in ("inline.md", "fenced.md", "real.md"):
        write(project / name, name)
    assert load_memory(project).paths == ["CLAUDE.md", "real.md"]


def test_sizes_are_capped_with_a_note(tmp_path, user_dir, monkeypatch):
    monkeypatch.setattr(memory_module, "FILE_CAP", 100)
    monkeypatch.setattr(memory_module, "TOTAL_CAP", 150)
    project = tmp_path / "p"
    write(project / "CLAUDE.md", "x" * 500)
    write(project / "AGENTS.md", "y" * 500)
    write(project / ".specify/memory/constitution.md", "z" * 10)
    memory = load_memory(project)
    claude, agents, constitution = memory.files
    assert claude.cut == 400 and claude.text.count("x") == 100
    assert "400 characters of CLAUDE.md cut here: the per-file cap" in claude.text
    assert agents.cut > 0 and "the total memory cap" in agents.text
    assert constitution.text == "" or constitution.cut == 10
    assert any("CLAUDE.md: 400 characters cut" in note for note in memory.notes)


def test_the_system_prompt_carries_the_memory(tmp_path, user_dir):
    workspace = Workspace.create(tmp_path / "ws")
    write(workspace.root / "AGENTS.md", "Always answer 201 on create.")
    prompt = build_system_prompt(load_agent(), workspace, load_memory(workspace.root))
    assert "## Project memory (read when the run started)" in prompt
    assert "### AGENTS.md (AGENTS.md)" in prompt
    assert "Always answer 201 on create." in prompt


def test_the_baseline_workspace_has_its_claude_md_at_the_root(tmp_path, user_dir):
    wb = Workbench(workspace=tmp_path / "ws", history=tmp_path / "h", mode="replay")
    assert (wb.workspace.root / "CLAUDE.md").is_file()
    assert not (wb.workspace.root / "sandbox_app" / "CLAUDE.md").exists()
    assert wb.workspace.changed_files() == []
    assert wb.memory.paths == ["CLAUDE.md"]
    assert "relative" in wb.memory.files[0].text
    baseline = Path(__file__).resolve().parents[2] / "sandbox_app" / "CLAUDE.md"
    assert wb.memory.files[0].text == baseline.read_text(encoding="utf-8")


def test_the_users_own_file_stays_out_of_a_recorded_cassette(tmp_path, user_dir):
    """Only shared files are pinned; the suite itself never reads a real ~/.claude."""
    assert Path(os.environ["CLAUDE_CONFIG_DIR"]) == user_dir
    write(user_dir / "CLAUDE.md", "personal")
    project = tmp_path / "p"
    write(project / "CLAUDE.md", "shared")
    assert list(load_memory(project).digests()) == ["CLAUDE.md"]


def test_replay_names_a_changed_claude_md(tmp_path, user_dir, kit, script, fake_checks):
    wb = Workbench(workspace=tmp_path / "ws", history=tmp_path / "h", mode="replay")
    pinned = wb.memory.digests()
    cassette = script(kit.ping_turns(), memory=pinned)
    assert load_cassette(cassette).exchanges[0].expect["memory"] == pinned
    wb.cassette = cassette
    first = wb.run(kit.PROMPT)
    assert first.status == "ok", first.reason
    assert first.memory == ["CLAUDE.md"]

    other = Workbench(workspace=tmp_path / "ws2", history=tmp_path / "h", mode="replay")
    (other.workspace.root / "CLAUDE.md").write_text("Changed rules.\n")
    other.cassette = cassette
    changed = other.run(kit.PROMPT)
    assert changed.status == "error"
    assert "the project memory differs" in changed.reason
    assert "changed since it was made: CLAUDE.md" in changed.reason
    assert "record the session again" in changed.reason


def test_a_cassette_without_memory_replays_whatever_the_memory(
    tmp_path, user_dir, kit, script, fake_checks
):
    cassette = script(kit.ping_turns())
    assert "memory" not in yaml.safe_load(cassette.read_text())
    wb = Workbench(workspace=tmp_path / "ws", history=tmp_path / "h", mode="replay")
    (wb.workspace.root / "CLAUDE.md").write_text("Something else entirely.\n")
    wb.cassette = cassette
    assert wb.run(kit.PROMPT).status == "ok"
