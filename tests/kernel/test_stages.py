"""The /sp.* stages: files laid down from a project's templates or the built-in ones, feature
numbering under concurrency, the stage checks, and a whole stage run through the loop."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agent_kernel.history.phr import parse_phr
from agent_kernel.specs.checks import check_document, check_tasks, parse_tasks, tick_tasks
from agent_kernel.specs.features import (
    FeatureError,
    allocate_feature,
    features,
    find_feature,
    short_name,
)
from agent_kernel.specs.stages import StageError, parse_command, prepare_stage
from agent_kernel.specs.templates import BUILT_IN
from agent_kernel.workbench import Workbench

TODAY = dt.date(2026, 12, 3)
DESCRIPTION = "Notes with titles and bodies"
FEATURE = "001-notes-titles-bodies"
SPEC = f"specs/{FEATURE}/spec.md"
# A project template in Spec-Kit Plus's shape (written here; not their file).
OWN_SPEC_TEMPLATE = """# Feature Specification: [FEATURE NAME]

**Feature Branch**: `[###-feature-name]`
**Created**: [DATE]
**Input**: User description: "$ARGUMENTS"

## User Scenarios & Testing *(mandatory)*
[Describe the main user journey]

## Requirements *(mandatory)*
- **FR-001**: System MUST [specific capability]

## Review Checklist
- [ ] No [NEEDS CLARIFICATION] markers remain
"""
GOOD_SPEC = """# Feature Specification: Notes

**Status**: Draft

## User Scenarios & Testing
A user keeps short notes with a title and a body.

## Requirements
- **FR-001**: The API MUST store a note with a title of at most 100 characters.
- **FR-002**: Deleting a note MUST {deletion}.

## Review Checklist
- [x] No [NEEDS CLARIFICATION] markers remain
"""
QUESTION = "Should deleting a note remove it or archive it?"


def test_a_prompt_names_its_stage_and_an_unknown_one_is_refused():
    assert parse_command("/sp.specify Notes for users") == ("specify", "Notes for users")
    assert parse_command("  /sp.plan") == ("plan", "")
    assert parse_command("Add a GET /api/ping route") is None
    with pytest.raises(StageError, match=r"/sp\.deploy is not a stage.*/sp\.specify"):
        parse_command("/sp.deploy now")


def test_the_short_name_keeps_the_meaningful_words():
    assert short_name(DESCRIPTION) == "notes-titles-bodies"
    assert short_name("Add a GET endpoint for the user profile page") == "get-user-profile"
    assert short_name("!!!") == "feature"
    assert short_name("Version endpoint that says which version runs") == "version-says-runs"


def test_specify_lays_down_the_built_in_template_in_a_new_numbered_folder(tmp_path):
    stage = prepare_stage(f"/sp.specify {DESCRIPTION}", tmp_path, today=TODAY)
    assert stage is not None and stage.feature == FEATURE and stage.path == SPEC
    assert stage.template_source == "built-in" and stage.created
    text = (tmp_path / SPEC).read_text()
    assert text.startswith("# Feature Specification: [FEATURE_NAME]")
    assert "**Created**: 2026-12-03" in text and f"`specs/{FEATURE}`" in text
    assert f'**Input**: "{DESCRIPTION}"' in text
    assert "[DATE]" not in text
    instructions = stage.instructions()
    assert f"`{SPEC}`" in instructions and "built-in template" in instructions
    assert "`phr.stage` to `spec`" in instructions and f"`{FEATURE}`" in instructions
    again = prepare_stage("/sp.specify Archive old notes", tmp_path, today=TODAY)
    assert again.feature == "002-archive-old-notes"


def test_specify_uses_the_projects_own_template(tmp_path):
    own = tmp_path / ".specify/templates/spec-template.md"
    own.parent.mkdir(parents=True)
    own.write_text(OWN_SPEC_TEMPLATE)
    stage = prepare_stage(f"/sp.specify {DESCRIPTION}", tmp_path, today=TODAY)
    assert stage.template_source == ".specify/templates/spec-template.md"
    text = (tmp_path / SPEC).read_text()
    assert f"**Feature Branch**: `{FEATURE}`" in text
    assert f'User description: "{DESCRIPTION}"' in text
    check = stage.check(tmp_path)
    assert "placeholder [FEATURE NAME] is still in " + SPEC + "; replace it" in check.problems
    assert any("[Describe the main user journey]" in p for p in check.problems)
    # the checklist's own mention of the marker is no open question
    assert check.questions == []


def test_plan_and_tasks_go_into_the_current_feature_and_need_what_comes_before(tmp_path):
    with pytest.raises(FeatureError, match=r"start one with /sp\.specify"):
        prepare_stage("/sp.plan", tmp_path)
    prepare_stage(f"/sp.specify {DESCRIPTION}", tmp_path, today=TODAY)
    prepare_stage("/sp.specify Second feature here", tmp_path, today=TODAY)
    with pytest.raises(StageError, match=r"needs specs/001-notes-titles-bodies/plan\.md"):
        prepare_stage("/sp.tasks", tmp_path, session_feature=FEATURE)
    plan = prepare_stage("/sp.plan", tmp_path, session_feature=FEATURE, today=TODAY)
    assert plan.path == f"specs/{FEATURE}/plan.md" and plan.spec_path == SPEC
    assert f"**Spec**: {SPEC}" in (tmp_path / plan.path).read_text()
    newest = prepare_stage("/sp.plan", tmp_path, today=TODAY)  # no session: the newest
    assert newest.feature == "002-second-feature-here"
    named = prepare_stage("/sp.tasks --feature 001", tmp_path, today=TODAY)
    assert named.feature == FEATURE and named.path == f"specs/{FEATURE}/tasks.md"
    assert named.arguments == ""
    with pytest.raises(FeatureError, match="no feature '9'"):
        find_feature(tmp_path, "9")


def test_a_stage_file_that_exists_is_revised_not_overwritten(tmp_path):
    prepare_stage(f"/sp.specify {DESCRIPTION}", tmp_path, today=TODAY)
    plan = tmp_path / f"specs/{FEATURE}/plan.md"
    plan.write_text("my plan")
    stage = prepare_stage("/sp.plan", tmp_path)
    assert not stage.created and plan.read_text() == "my plan"
    assert "revise it in place" in stage.instructions()


def test_constitution_is_laid_down_once_and_spec_kits_placeholders_are_checked(tmp_path):
    stage = prepare_stage("/sp.constitution", tmp_path)
    target = tmp_path / ".specify/memory/constitution.md"
    assert stage.created and target.read_text().startswith("# [PROJECT_NAME] Constitution")
    assert stage.feature is None and stage.phr_stage == "constitution"
    # a constitution Spec-Kit laid down: checked against its own placeholders, not the
    # examples in its comments
    target.write_text(
        "# [PROJECT_NAME] Constitution\n<!-- Example: see [GUIDANCE_FILE] -->\n"
        "## Core Principles\n### [PRINCIPLE_1_NAME]\n"
    )
    again = prepare_stage("/sp.constitution amend", tmp_path)
    assert not again.created and again.template_source == ".specify/memory/constitution.md"
    target.write_text("# Acme Constitution\n## Core Principles\n### [PRINCIPLE_1_NAME]\n")
    assert again.check(tmp_path).problems == [
        "placeholder [PRINCIPLE_1_NAME] is still in .specify/memory/constitution.md; replace it"
    ]
    # a filled one is amended against the built-in template's mandatory sections
    target.write_text("# Acme Constitution\n## Principles\nTest first.\n")
    amended = prepare_stage("/sp.constitution amend", tmp_path)
    assert amended.template_source == "built-in"
    problems = amended.check(tmp_path).problems
    assert any("mandatory section 'Core Principles'" in p for p in problems)


def _allocate_in_process(args: tuple[str, int]) -> list[str]:
    root, count = args
    return [allocate_feature(Path(root), f"feature {i}") for i in range(count)]


def test_feature_numbers_never_collide_across_threads_and_processes(tmp_path):
    with ThreadPoolExecutor(8) as pool:
        threaded = list(pool.map(lambda i: allocate_feature(tmp_path, f"thread {i}"), range(16)))
    context = multiprocessing.get_context("fork")
    with context.Pool(3) as pool:
        forked = [
            name
            for names in pool.map(_allocate_in_process, [(str(tmp_path), 4)] * 3)
            for name in names
        ]
    names = threaded + forked
    numbers = sorted(int(name.split("-", 1)[0]) for name in names)
    assert numbers == list(range(1, 29))
    assert len(features(tmp_path)) == 28


def test_the_document_check_finds_placeholders_questions_and_missing_sections():
    template = (BUILT_IN / "spec-template.md").read_text()
    check = check_document("spec.md", GOOD_SPEC.format(deletion="archive it"), template)
    assert check.ok, check
    open_one = GOOD_SPEC.format(deletion=f"[NEEDS CLARIFICATION: {QUESTION}]")
    assert check_document("spec.md", open_one, template).questions == [QUESTION]
    left = open_one.replace("A user keeps", "[Who wants what, and why, in plain words] keeps")
    problems = check_document("spec.md", left, template).problems
    assert problems == [
        "placeholder [Who wants what, and why, in plain words] is still in spec.md; replace it"
    ]
    cut = GOOD_SPEC.format(deletion="archive it").replace("## Requirements\n", "")
    assert check_document("spec.md", cut, template).problems == [
        "mandatory section 'Requirements' is missing from spec.md"
    ]
    in_code = GOOD_SPEC.format(deletion="archive it") + "\n```\n[FEATURE_NAME]\n```\n"
    assert check_document("spec.md", in_code, template).ok


TASKS = """# Tasks
- [ ] T001 Create sandbox_app/api/routes/notes.py
- [ ] T002 [P] Test creating a note in tests/test_notes_create.py
- [ ] T003 [P] Test listing notes in tests/test_notes_list.py
- [ ] T004 Wire the router in sandbox_app/api/router.py
"""


def test_tasks_are_numbered_in_order_name_a_file_and_parallel_ones_differ():
    assert check_tasks("tasks.md", TASKS) == []
    assert [t.ident for t in parse_tasks(TASKS) if t.parallel] == ["T002", "T003"]
    gap = TASKS.replace("T003", "T005")
    assert check_tasks("tasks.md", gap)[0].startswith("T005 is out of sequence")
    no_path = TASKS.replace("in sandbox_app/api/router.py", "somewhere")
    assert check_tasks("tasks.md", no_path) == [
        "T004 names no file path; say which file it changes"
    ]
    same_file = TASKS.replace("tests/test_notes_list.py", "tests/test_notes_create.py")
    assert (
        "T002 and T003 are both [P] but touch tests/test_notes_create.py"
        in (check_tasks("tasks.md", same_file)[0])
    )
    assert check_tasks("tasks.md", "# Tasks\nnothing yet\n")[0].endswith(
        "lists no tasks (lines such as `- [ ] T001 [P] ... in path/file.py`)"
    )


def test_tasks_are_ticked_when_all_their_tests_are_green():
    text, ticked = tick_tasks(TASKS, {"tests/test_notes_create.py"})
    assert ticked == ["T002"]
    assert "- [X] T002 [P] Test creating" in text and "- [ ] T003 [P]" in text
    assert "- [ ] T001 Create" in text  # no test named: left to the agent


# -- a whole stage through the loop -----------------------------------------------------------


def spec_turns(kit, spec_text: str) -> list[dict]:
    """Write the spec with an open question, submit, fill in the answer, submit again."""
    phr = {"stage": "green", "feature": "whatever", "title": "Specify notes with titles"}
    contract = {
        "acceptance_checks": [{"description": "the spec is complete", "test": "tests"}],
        "phr": phr,
    }
    answer = kit.edit(
        "str_replace",
        SPEC,
        old_str=f"[NEEDS CLARIFICATION: {QUESTION}]",
        new_str="archive it (kept 30 days)",
    )
    return [
        {
            "text": "Writing the spec.",
            "tool_calls": [kit.edit("create", SPEC, file_text=spec_text)],
        },
        kit.submit(**contract),
        {"text": "Recording the answer.", "tool_calls": [answer]},
        kit.submit(**contract),
    ]


def test_specify_asks_the_open_question_and_records_the_stage(tmp_path, kit, script, fake_checks):
    prompt = f"/sp.specify {DESCRIPTION}"
    spec_text = GOOD_SPEC.format(deletion=f"[NEEDS CLARIFICATION: {QUESTION}]")
    cassette = script(spec_turns(kit, spec_text), prompt=prompt)
    asked: list[str] = []
    wb = Workbench(
        workspace=tmp_path / "ws", history=tmp_path / "h", mode="replay", cassette=cassette
    )

    def person(question: str, choices):
        asked.append(question)
        return "archive it, kept for 30 days"

    result = wb.run(prompt, answer=person)
    assert result.status == "ok", result.reason
    assert asked == [QUESTION]
    gate = result.tool_trace[1]
    assert gate.name == "submit_result" and gate.is_error
    assert "The /sp.specify stage is not finished" in gate.output
    assert f'The user answered "{QUESTION}": archive it, kept for 30 days' in gate.output
    assert result.stage["feature"] == FEATURE and result.stage["phr_stage"] == "spec"
    assert result.stage["check"] == {"path": SPEC, "problems": [], "questions": []}
    assert result.stage["clarifications"] == [
        {"question": QUESTION, "answer": "archive it, kept for 30 days"}
    ]
    assert result.contract.phr.stage == "spec" and result.contract.phr.feature == FEATURE
    assert wb.feature == FEATURE
    assert SPEC in result.files_changed
    phr = parse_phr(result.phr_path)
    assert result.phr_path.parent == tmp_path / "h" / "prompts" / FEATURE
    assert result.phr_path.name.endswith(".spec.prompt.md")
    assert phr["front_matter"]["links"]["spec"] == SPEC
    assert phr["prompt"] == prompt


def test_with_nobody_to_ask_the_model_is_told_to_assume(tmp_path, kit, script, fake_checks):
    prompt = f"/sp.specify {DESCRIPTION}"
    spec_text = GOOD_SPEC.format(deletion=f"[NEEDS CLARIFICATION: {QUESTION}]")
    cassette = script(spec_turns(kit, spec_text), prompt=prompt)
    wb = Workbench(
        workspace=tmp_path / "ws", history=tmp_path / "h", mode="replay", cassette=cassette
    )
    result = wb.run(prompt)
    assert result.status == "ok", result.reason
    assert "Nobody is available to answer" in result.tool_trace[1].output
    assert result.stage["clarifications"] == [{"question": QUESTION, "answer": None}]


def test_a_stage_that_cannot_start_changes_nothing(tmp_path, kit, script):
    wb = Workbench(
        workspace=tmp_path / "ws",
        history=tmp_path / "h",
        mode="replay",
        cassette=script(kit.ping_turns(), prompt="/sp.plan"),
    )
    with pytest.raises(FeatureError, match="no feature under specs/"):
        wb.plan()
    assert wb.workspace.changed_files() == []
    assert not (tmp_path / "h").exists()


def test_a_stage_run_without_a_contract_still_files_its_record_under_the_feature(
    tmp_path, kit, script
):
    prompt = f"/sp.specify {DESCRIPTION}"
    cassette = script([{"text": "I stop here."}, {"text": "Still no contract."}], prompt=prompt)
    wb = Workbench(
        workspace=tmp_path / "ws", history=tmp_path / "h", mode="replay", cassette=cassette
    )
    result = wb.run(prompt)
    assert result.status == "incomplete" and result.contract is None
    assert result.phr_path.parent == tmp_path / "h" / "prompts" / FEATURE
    meta = parse_phr(result.phr_path)["front_matter"]
    assert meta["stage"] == "spec" and meta["links"]["spec"] == SPEC
    # the laid-down template is still open, and the result says so
    assert result.stage["check"]["problems"]
