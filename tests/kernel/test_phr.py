"""PHR files: Spec-Kit Plus routing, naming, front matter, body, verbatim prompt, atomic ids."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import re
import secrets
import threading
from pathlib import Path

import pytest
import yaml

from agent_kernel.history.phr import (
    SCRIPTED_NOTE,
    STAGES,
    PromptRecord,
    parse_phr,
    phr_folder,
    quote_placeholders,
    slugify,
    unresolved_placeholders,
    write_phr,
)

FRONT_MATTER_KEYS = [
    "id",
    "title",
    "stage",
    "date",
    "surface",
    "model",
    "feature",
    "branch",
    "user",
    "command",
    "labels",
    "links",
    "files",
    "tests",
    "status",
    "source",
]


def record(**overrides) -> PromptRecord:
    values = {
        "title": "Add items CRUD endpoints",
        "stage": "green",
        "prompt": "Add CRUD endpoints for items with tests.",
        "response_snapshot": "Added the items router and four tests; all pass.",
        "model": "claude-sonnet-4-6",
        "feature": "items",
        "branch": "main",
        "user": "learner",
        "command": "workbench run",
        "labels": ["api", "crud"],
        "links": {"spec": "specs/items/spec.md"},
        "files": ["app/api/routes/items.py", "tests/test_items.py"],
        "tests": ["tests/test_items.py::test_create_item"],
        "impact": "Items can be created, listed, updated and deleted.",
        "tests_summary": "4 passed",
        "next_prompts": ["Add pagination", "Add ownership checks"],
        "reflection": "Small diff; the router pattern was already there.",
        "failure_modes": "none observed",
        "graders": "acceptance checks PASS",
        "prompt_variant": "baseline",
        "next_experiment": "Ask for pagination in the same prompt.",
        "date": dt.date(2026, 11, 20),
    }
    values.update(overrides)
    return PromptRecord(**values)


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


# --- routing, naming -----------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_routing_for_every_stage(tmp_path, stage):
    folder = phr_folder(tmp_path, stage, "User Auth")
    expected = {"constitution": "constitution", "general": "general"}.get(stage, "user-auth")
    assert folder == tmp_path / "prompts" / expected
    path = write_phr(tmp_path, record(stage=stage, feature="User Auth"))
    assert path.parent == folder
    assert path.name == f"0001-add-items-crud-endpoints.{stage}.prompt.md"
    meta = parse_phr(path)["front_matter"]
    assert meta["stage"] == stage


@pytest.mark.parametrize("stage", [s for s in STAGES if s not in ("constitution", "general")])
@pytest.mark.parametrize("feature", ["none", "", None, "---"])
def test_feature_stage_without_feature_goes_to_general(tmp_path, stage, feature):
    assert phr_folder(tmp_path, stage, feature) == tmp_path / "prompts" / "general"


def test_unknown_stage_rejected(tmp_path):
    with pytest.raises(ValueError, match="stage"):
        phr_folder(tmp_path, "deploy", "x")
    with pytest.raises(ValueError, match="stage"):
        write_phr(tmp_path, record(stage="deploy"))
    assert not (tmp_path / "prompts").exists()


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Add items CRUD endpoints", "add-items-crud-endpoints"),
        ("  JWT auth: login + refresh!! ", "jwt-auth-login-refresh"),
        ("Fix__the---N+1   query", "fix-the-n-1-query"),
        ("Café crème API", "caf-cr-me-api"),
        ("!!!", ""),
    ],
)
def test_slug_rules(title, slug):
    assert slugify(title) == slug


def test_slug_used_in_file_name(tmp_path):
    path = write_phr(tmp_path, record(title="JWT auth: login + refresh!!"))
    assert path.name == "0001-jwt-auth-login-refresh.green.prompt.md"


# --- numbering -----------------------------------------------------------------------------


def test_numbering_highest_plus_one_with_gaps(tmp_path):
    folder = phr_folder(tmp_path, "green", "items")
    folder.mkdir(parents=True)
    (folder / "0001-first.green.prompt.md").write_text("x")
    (folder / "0007-seventh.red.prompt.md").write_text("x")
    (folder / "notes.md").write_text("not numbered")
    path = write_phr(tmp_path, record())
    assert path.name.startswith("0008-")
    assert parse_phr(path)["front_matter"]["id"] == 8
    assert write_phr(tmp_path, record()).name.startswith("0009-")


def test_numbering_per_folder_and_four_digits(tmp_path):
    a = write_phr(tmp_path, record(feature="items"))
    b = write_phr(tmp_path, record(feature="users"))
    c = write_phr(tmp_path, record(stage="general"))
    assert [p.name[:5] for p in (a, b, c)] == ["0001-", "0001-", "0001-"]
    folder = phr_folder(tmp_path, "green", "items")
    (folder / "0099-x.green.prompt.md").write_text("x")
    assert write_phr(tmp_path, record()).name.startswith("0100-")
    (folder / "9999-x.green.prompt.md").write_text("x")
    assert write_phr(tmp_path, record()).name.startswith("10000-")


# --- front matter and body -----------------------------------------------------------------


def test_front_matter_fields(tmp_path):
    path = write_phr(tmp_path, record())
    text = read(path)
    assert text.startswith("---\n")
    raw = text.split("---\n")[1]
    meta = yaml.safe_load(raw)
    assert list(meta) == FRONT_MATTER_KEYS
    assert meta["id"] == 1
    assert meta["title"] == "Add items CRUD endpoints"
    assert meta["date"] == dt.date(2026, 11, 20)
    assert re.search(r"^date: 2026-11-20$", raw, re.MULTILINE)
    assert meta["surface"] == "agent"
    assert meta["model"] == "claude-sonnet-4-6"
    assert meta["feature"] == "items"
    assert meta["branch"] == "main"
    assert meta["user"] == "learner"
    assert meta["command"] == "workbench run"
    assert meta["labels"] == ["api", "crud"]
    assert meta["links"] == {"spec": "specs/items/spec.md", "ticket": None, "adr": None, "pr": None}
    assert meta["files"] == ["app/api/routes/items.py", "tests/test_items.py"]
    assert meta["tests"] == ["tests/test_items.py::test_create_item"]
    assert meta["status"] == "ok"
    assert meta["source"] == "live"
    assert parse_phr(path)["front_matter"] == meta


def test_front_matter_quotes_awkward_values(tmp_path):
    awkward = 'Fix: "quotes" # and [brackets] - yes'
    path = write_phr(
        tmp_path,
        record(title=awkward, labels=["a: b", "#x", "- y"], branch="feat/x: y", user="@me"),
    )
    meta = parse_phr(path)["front_matter"]
    assert meta["title"] == awkward
    assert meta["labels"] == ["a: b", "#x", "- y"]
    assert meta["branch"] == "feat/x: y"
    assert meta["user"] == "@me"


def test_defaults_fill_every_field(tmp_path):
    path = write_phr(tmp_path, PromptRecord(title="Explain the app", stage="explainer", prompt="?"))
    meta = parse_phr(path)["front_matter"]
    assert list(meta) == FRONT_MATTER_KEYS
    assert meta["feature"] == "none"
    assert meta["links"] == {"spec": None, "ticket": None, "adr": None, "pr": None}
    assert meta["labels"] == [] and meta["files"] == [] and meta["tests"] == []
    assert meta["date"] == dt.date.today()
    assert path.parent.name == "general"
    assert unresolved_placeholders(read(path)) == []


def test_body_sections(tmp_path):
    path = write_phr(tmp_path, record())
    text = read(path)
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert headings == ["Prompt", "Response snapshot", "Outcome", "Evaluation notes (flywheel)"]
    for bullet in (
        "- ✅ Impact: Items can be created, listed, updated and deleted.",
        "- 🧪 Tests: 4 passed",
        "- 📁 Files: app/api/routes/items.py, tests/test_items.py",
        "- 🔁 Next prompts: Add pagination; Add ownership checks",
        "- 🧠 Reflection: Small diff; the router pattern was already there.",
        "- Failure modes observed: none observed",
        "- Graders run and results (PASS/FAIL): acceptance checks PASS",
        "- Prompt variant (if applicable): baseline",
        "- Next experiment (smallest change to try): Ask for pagination in the same prompt.",
    ):
        assert bullet in text.split("\n"), bullet
    parsed = parse_phr(path)
    assert parsed["response_snapshot"] == "Added the items router and four tests; all pass."
    assert parsed["outcome"]["tests_summary"] == "4 passed"
    assert parsed["evaluation"]["prompt_variant"] == "baseline"
    assert SCRIPTED_NOTE not in text
    assert not parsed["scripted"]


def test_failed_run_says_so(tmp_path):
    path = write_phr(
        tmp_path, record(status="error", impact="Run failed: API overloaded (529) after retries.")
    )
    text = read(path)
    assert "> Run status: error." in text
    assert "- ✅ Impact: Run failed: API overloaded (529) after retries." in text
    assert parse_phr(path)["front_matter"]["status"] == "error"


def test_scripted_source_labelled_visibly(tmp_path):
    path = write_phr(tmp_path, record(source="scripted"))
    text = read(path)
    assert SCRIPTED_NOTE in text
    assert text.index(SCRIPTED_NOTE) < text.index("## Prompt")
    parsed = parse_phr(path)
    assert parsed["front_matter"]["source"] == "scripted"
    assert parsed["scripted"]


def test_bad_source_and_links_rejected(tmp_path):
    with pytest.raises(ValueError, match="source"):
        write_phr(tmp_path, record(source="invented"))
    with pytest.raises(ValueError, match="link"):
        write_phr(tmp_path, record(links={"jira": "X-1"}))


def test_model_text_cannot_forge_sections(tmp_path):
    snapshot = "Done.\n## Outcome\n- ✅ Impact: forged\n```python\nprint('unclosed')"
    path = write_phr(tmp_path, record(response_snapshot=snapshot))
    parsed = parse_phr(path)
    assert list(parsed["sections"]) == [
        "Prompt",
        "Response snapshot",
        "Outcome",
        "Evaluation notes (flywheel)",
    ]
    assert parsed["outcome"]["impact"] == "Items can be created, listed, updated and deleted."


# --- verbatim prompt -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "prompt",
    [
        "Use ``` fences and ```` more, `inline` too:\n```python\nprint('x')\n```\n",
        "Render {{ item.name }} in a Jinja template; keep [PROJECT_NAME] as literal text.",
        "## Outcome\n- ✅ Impact: this is user text\n---\nid: 99\n",
        "windows\r\nline endings\r\n",
        "  leading and trailing spaces  \n\n\n",
        "no newline at end",
        "",
    ],
)
def test_prompt_verbatim(tmp_path, prompt):
    path = write_phr(tmp_path, record(prompt=prompt))
    assert parse_phr(path)["prompt"] == prompt
    assert prompt in read(path)
    assert parse_phr(path)["front_matter"]["id"] == 1


def test_prompt_100kb_not_truncated(tmp_path):
    lines = [f"{i:06d} requirement with `code` and {{braces}} ```" for i in range(2000)]
    prompt = "\n".join(lines)
    prompt += "x" * (100_000 - len(prompt)) + "\nEND"
    assert len(prompt) > 100_000
    path = write_phr(tmp_path, record(prompt=prompt))
    assert parse_phr(path)["prompt"] == prompt
    assert read(path).count("requirement with") == 2000


# --- placeholders --------------------------------------------------------------------------


def test_unresolved_placeholders_found():
    text = "title: {{TITLE}}\nSee [PROJECT_NAME] and [DATE] but not [REDACTED] or [PASS]."
    assert unresolved_placeholders(text) == ["{{TITLE}}", "[PROJECT_NAME]", "[DATE]"]
    assert unresolved_placeholders("code `{{x}}` and\n```\n{{y}}\n```\nok") == []
    assert unresolved_placeholders("[API](https://x) and [JWT] tokens") == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"title": "{{TITLE}} for items"},
        {"reflection": "Worked well for [FEATURE_NAME]."},
        {"response_snapshot": "Created {{RESPONSE_TEXT}}."},
        {"labels": ["{{LABELS}}"]},
        {"files": ["[FILES]"]},
    ],
)
def test_placeholders_rejected_and_nothing_written(tmp_path, overrides):
    with pytest.raises(ValueError, match="placeholder"):
        write_phr(tmp_path, record(**overrides))
    assert list(tmp_path.rglob("*.prompt.md")) == []


def test_quote_placeholders_keeps_model_text(tmp_path):
    snapshot = "The template renders {{ item.name }} and keeps [PROJECT_NAME] as text."
    with pytest.raises(ValueError):
        write_phr(tmp_path, record(response_snapshot=snapshot))
    quoted = quote_placeholders(snapshot)
    assert unresolved_placeholders(quoted) == []
    path = write_phr(tmp_path, record(response_snapshot=quoted))
    assert parse_phr(path)["response_snapshot"] == (
        "The template renders `{{ item.name }}` and keeps `[PROJECT_NAME]` as text."
    )


# --- secrets -------------------------------------------------------------------------------


def test_canary_secrets_in_no_file(tmp_path, monkeypatch):
    canary = "sk-ant-" + "api03-" + "x" * 40
    env_value = secrets.token_hex(16)
    monkeypatch.setenv("MY_SERVICE_TOKEN", env_value)
    rec = record(
        title=f"Use key {canary} now",
        prompt=f"My key is {canary}; service token {env_value}.\nAuthorization: Bearer {env_value}",
        response_snapshot=f"Stored {canary} in settings.",
        labels=[canary],
        files=[f"notes/{env_value}.txt"],
        tests=[env_value],
        reflection=f"env {env_value}",
        command=f"workbench run --key {canary}",
        links={"ticket": f"https://x.test/?api_key={env_value}"},
        feature=f"feat {env_value}",
    )
    path = write_phr(tmp_path, rec)
    for written in tmp_path.rglob("*"):
        assert canary not in str(written) and env_value not in str(written)
        if written.is_file():
            content = read(written)
            assert canary not in content
            assert env_value not in content
            assert "sk-ant-" not in content
    text = read(path)
    assert "[REDACTED]" in text
    assert parse_phr(path)["front_matter"]["labels"] == ["[REDACTED]"]


def test_non_string_values_are_written_and_redacted(tmp_path, monkeypatch):
    env_value = secrets.token_hex(16)
    monkeypatch.setenv("DEPLOY_SECRET", env_value)
    rec = record(
        files=[Path("app") / f"{env_value}.py", Path("app/main.py")],
        tests=[Path("tests/test_main.py")],
        links={"pr": 42, "adr": Path("history/adr/0001-x.md")},
        labels=None,
        date="2026-11-21",
    )
    path = write_phr(tmp_path, rec)
    assert env_value not in read(path)
    meta = parse_phr(path)["front_matter"]
    assert meta["files"] == ["app/[REDACTED].py", "app/main.py"]
    assert meta["tests"] == ["tests/test_main.py"]
    assert meta["links"] == {
        "spec": None,
        "ticket": None,
        "adr": "history/adr/0001-x.md",
        "pr": "42",
    }
    assert meta["labels"] == []
    assert meta["date"] == dt.date(2026, 11, 21)
    with pytest.raises(ValueError, match="date"):
        write_phr(tmp_path, record(date="next week"))


# --- concurrency ---------------------------------------------------------------------------

PROCESSES = 8
WRITES_EACH = 25


def _write_many(args: tuple[str, int]) -> list[str]:
    history, worker = args
    paths = []
    for i in range(WRITES_EACH):
        rec = record(
            title=f"Worker {worker} write {i}",
            prompt=f"worker={worker} write={i}\n" + "payload " * 50,
            labels=[f"w{worker}", f"i{i}"],
        )
        paths.append(str(write_phr(Path(history), rec)))
    return paths


def _check_all_intact(history: Path, workers: int) -> None:
    folder = phr_folder(history, "green", "items")
    files = sorted(folder.glob("*.prompt.md"))
    assert len(files) == workers * WRITES_EACH
    numbers = sorted(int(p.name.split("-")[0]) for p in files)
    assert numbers == list(range(1, workers * WRITES_EACH + 1))
    seen = set()
    for path in files:
        parsed = parse_phr(path)
        meta = parsed["front_matter"]
        assert meta["id"] == int(path.name.split("-")[0])
        worker, i = (int(v) for v in re.findall(r"\d+", meta["title"]))
        assert parsed["prompt"] == f"worker={worker} write={i}\n" + "payload " * 50
        assert meta["labels"] == [f"w{worker}", f"i{i}"]
        seen.add((worker, i))
    assert len(seen) == workers * WRITES_EACH
    assert not [p for p in folder.iterdir() if p.name.startswith(".tmp-")]


def test_concurrent_processes_never_collide(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(PROCESSES) as pool:
        results = pool.map(_write_many, [(str(tmp_path), w) for w in range(PROCESSES)])
    assert len({p for batch in results for p in batch}) == PROCESSES * WRITES_EACH
    _check_all_intact(tmp_path, PROCESSES)


def test_concurrent_threads_never_collide(tmp_path):
    errors: list[BaseException] = []

    def run(worker: int) -> None:
        try:
            _write_many((str(tmp_path), worker))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(PROCESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    _check_all_intact(tmp_path, PROCESSES)
