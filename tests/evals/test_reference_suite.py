"""The whole suite, replayed offline with two jobs: every reference session is a secure pass.

One run serves every test here (it is the expensive part): its JSON line, its terminal
table, and the Markdown report with its PNG chart.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from eval_harness import SUITE, EvalRun, run_eval

from agent_kernel.evals import load_suite

CAPABILITIES = {
    "rest", "validation", "auth", "database", "errors", "async", "status_codes",
    "cors_headers", "performance", "architecture", "background", "best_practices",
}  # fmt: skip


@pytest.fixture(scope="module")
def reference(offline: None, tmp_path_factory: pytest.TempPathFactory) -> tuple[EvalRun, Path]:
    report = tmp_path_factory.mktemp("report") / "eval.md"
    run = run_eval("--mode", "replay", "--jobs", "2", "--json", "--report", str(report))
    return run, report


def test_the_suite_covers_every_capability_with_hidden_checks():
    tasks = load_suite(SUITE)
    assert len(tasks) >= 12
    assert {task.capability for task in tasks} >= CAPABILITIES
    for task in tasks:
        assert task.hidden_files("functional"), task.id
        assert task.hidden_files("security"), task.id
        assert "reference" in task.sessions(), task.id


def test_every_reference_session_is_a_pass_and_a_secure_pass(reference):
    run, _ = reference
    assert run.code == 0, run.err
    tasks = run.payload["tasks"]
    assert {t["task"] for t in tasks} == {task.id for task in load_suite(SUITE)}
    for task in tasks:
        assert task["status"] == "done", task
        assert task["run_status"] == "ok", task
        assert task["pass"] is True and task["secure_pass"] is True, task
        assert task["failures"] == []
        assert task["functional"]["total"] >= 1 and task["security"]["total"] >= 1
        assert task["functional"]["passed"] == task["functional"]["total"]
        assert task["security"]["passed"] == task["security"]["total"]
    (summary,) = run.payload["variants"]
    assert summary["pass_at_1"] == 1.0 and summary["secure_pass_at_1"] == 1.0
    assert summary["scored"] == len(tasks) and summary["errors"] == summary["timeouts"] == 0


def test_the_json_line_has_the_documented_shape(reference):
    run, _ = reference
    payload = run.payload
    assert payload["mode"] == "replay" and payload["session"] == "reference"
    assert payload["jobs"] == 2
    assert {"suite", "date", "wall_s", "variants", "tasks", "report", "chart"} <= set(payload)
    (summary,) = payload["variants"]
    for key in ("variant", "tasks", "passed", "secure_passed", "pass_at_1", "secure_pass_at_1",
                "turns", "tokens", "cost_usd", "wall_s", "diff_lines"):  # fmt: skip
        assert key in summary, key
    tokens = summary["tokens"]
    assert set(tokens) == {
        "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "total",
    }  # fmt: skip
    assert tokens["cache_read_tokens"] > 0
    assert tokens["total"] == sum(v for k, v in tokens.items() if k != "total")
    for task in payload["tasks"]:
        assert task["source"] == "scripted" and task["session"] == "reference"
        assert task["turns"] >= 2
        assert task["tokens"]["total"] > 0 and task["cost_usd"] == 0  # scripted: no cost
        assert task["wall_s"] > 0 and task["agent_s"] > 0 and task["checks_s"] > 0
        assert task["diff_lines"] > 0 and task["files_changed"]
    assert summary["turns"] == sum(t["turns"] for t in payload["tasks"])
    assert summary["diff_lines"] == sum(t["diff_lines"] for t in payload["tasks"])


def test_progress_and_the_table_are_printed(reference):
    run, _ = reference
    lines = run.err.splitlines()
    progress = [line for line in lines if line.startswith("[")]
    assert len(progress) == len(run.payload["tasks"])
    assert all("SECURE" in line for line in progress)
    table = run.err[run.err.index("== tasks") :]
    for task in run.payload["tasks"]:
        assert task["task"] in table
    assert "== overall" in table and "100%" in table
    # With --json, stdout holds nothing but the JSON object.
    assert len(run.out.strip().splitlines()) == 1


def _png_size(data: bytes) -> tuple[int, int, bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, width, height, idat = 8, 0, 0, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, zlib.decompress(idat)


def test_the_report_is_markdown_with_a_png_chart_beside_it(reference):
    run, report = reference
    chart = report.with_suffix(".png")
    assert run.payload["report"] == str(report) and run.payload["chart"] == str(chart)
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# Evaluation report")
    assert f"]({chart.name})" in text
    assert "pass@1" in text and "secure-pass@1" in text
    for task in run.payload["tasks"]:
        assert f"| {task['task']} |" in text
    width, height, pixels = _png_size(chart.read_bytes())
    assert width >= 300 and height >= 200
    assert len(pixels) == height * (1 + 3 * width)
    # The bars are drawn: the pass@1 blue is somewhere in the picture.
    assert bytes((66, 133, 244)) in pixels
