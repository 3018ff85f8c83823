"""A scripted run on a project that reads its `.env` and runs its tests: the `.env` values
(and values given as `env=`) appear in no file the workbench writes, nor in the result."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from agent_kernel import Workbench

from .conftest import SECRET

TOKEN = "tok-" + "9f86d081884c7d659a2feaa0c55ad015"
PROBE = (
    "import os\n\nfrom app.core.config import settings\n\n\ndef test_probe():\n"
    '    print("PROBE", settings.SECRET_KEY, os.environ.get("PAYMENT_TOKEN"))\n'
    "    assert False\n"
)


def cassette(path, prompt):
    edit = "str_replace_based_edit_tool"
    turns = [
        {
            "text": "I'll read the settings and the project's .env first.",
            "tool_calls": [
                {"name": edit, "input": {"command": "view", "path": ".env"}},
                {"name": edit, "input": {"command": "view", "path": "app/core/config.py"}},
            ],
        },
        {
            "tool_calls": [
                {
                    "name": edit,
                    "input": {
                        "command": "create",
                        "path": "tests/test_probe.py",
                        "file_text": PROBE,
                    },
                },
                {"name": "run_tests", "input": {"target": "tests/test_probe.py"}},
            ]
        },
        {
            "tool_calls": [
                {
                    "name": "submit_result",
                    "input": {
                        "surface_and_success": "The health check still answers true.",
                        "constraints": [],
                        "invariants": [],
                        "non_goals": [],
                        "artifact_summary": "A probe test.",
                        "acceptance_checks": [
                            {
                                "description": "health",
                                "test": "tests/api/test_utils.py::test_health_check",
                            }
                        ],
                        "follow_ups_and_risks": [],
                        "decisions": [],
                        "phr": {"stage": "misc", "feature": "notes", "title": "Probe the settings"},
                    },
                }
            ]
        },
    ]
    data = {
        "source": "scripted",
        "model": "claude-sonnet-5-5",
        "date": "2026-12-02",
        "title": "probe",
        "prompt": prompt,
        "turns": turns,
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def written_text(*roots):
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and path.name != ".env" and ".workbench/baseline" not in str(path):
                yield path, path.read_bytes().decode("utf-8", errors="replace")


def test_no_env_value_is_written_anywhere(notes, tmp_path):
    prompt = "Check what the settings hold."
    tape = cassette(tmp_path / "probe.yaml", prompt)
    wb = Workbench(
        project=notes,
        workspace=tmp_path / "ws",
        history=tmp_path / "history",
        mode="replay",
        cassette=tape,
        display=False,
        env={"PAYMENT_TOKEN": TOKEN},
    )
    result = wb.run(prompt)
    assert result.status == "ok", result.reason
    assert [c.passed for c in result.checks] == [True]
    # The agent may not read the file (a default rule), and the test did print the values:
    # redacted when written.
    trajectory = result.trajectory_path.read_text(encoding="utf-8")
    assert "denied by the permission rule Read(.env)" in trajectory
    assert "SECRET_KEY" not in trajectory.split("denied by")[0].rsplit("view", 1)[-1]
    assert "PROBE [REDACTED] [REDACTED]" in trajectory

    checked = 0
    for path, text in written_text(tmp_path / "history", wb.workspace.root / ".workbench"):
        assert SECRET not in text and TOKEN not in text, f"a .env value leaked into {path}"
        checked += 1
    assert checked >= 2  # the PHR and the trajectory at least
    assert SECRET not in result.to_json() and TOKEN not in result.to_json()
    assert SECRET not in wb.diff()


def test_cli_run_on_a_project_keeps_the_users_tree(notes, tmp_path):
    prompt = "Check what the settings hold."
    tape = cassette(tmp_path / "probe.yaml", prompt)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent_kernel.terminal.cli",
            "run",
            prompt,
            "--project",
            str(notes),
            "--workspace",
            str(tmp_path / "ws"),
            "--mode",
            "replay",
            "--cassette",
            str(tape),
            "--history",
            str(tmp_path / "history"),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["files_changed"] == ["tests/test_probe.py"]
    assert not (notes / "tests/test_probe.py").exists()
    assert SECRET not in done.stdout + done.stderr


def test_a_recorded_cassette_never_holds_an_env_value(notes, tmp_path):
    from agent_kernel.api.cassette import Cassette, Exchange
    from agent_kernel.project.checkout import ProjectWorkspace

    ProjectWorkspace.create_for(notes, tmp_path / "ws")  # reads .env, registers its values
    tool_result = {"type": "tool_result", "tool_use_id": "t1", "content": f"SECRET_KEY={SECRET}"}
    exchange = Exchange(
        response={"role": "assistant", "content": [{"type": "text", "text": f"It is {SECRET}"}]},
        expect={"tool_results": ["t1"], "last_user_text": str(tool_result)},
    )
    tape = Cassette(
        source="recorded", model="m", date="2026-12-02", prompt="p", exchanges=[exchange]
    )
    text = tape.save(tmp_path / "recorded.yaml").read_text(encoding="utf-8")
    assert SECRET not in text and "[REDACTED]" in text
