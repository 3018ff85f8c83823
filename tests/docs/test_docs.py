"""The documentation: the site builds strictly, the README is a front page, examples run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .examples import REPO, all_offline_examples, offline_examples

MKDOCS = Path(sys.executable).parent / "mkdocs"
QUIET = {"NO_MKDOCS_2_WARNING": "1"}


def test_the_site_builds_strictly_with_the_lessons(tmp_path):
    site = tmp_path / "site"
    done = subprocess.run(
        [str(MKDOCS), "build", "--strict", "--site-dir", str(site)],
        cwd=REPO, capture_output=True, text=True, timeout=600, env={**os.environ, **QUIET},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    for page in ("index.html", "architecture.html", "cli/run.html", "reference/cassettes.html"):
        assert (site / page).is_file(), page
    tour = (site / "lessons" / "00_tour.html").read_text(encoding="utf-8")
    assert "follow-up changed" in tour  # rendered with its committed outputs
    assert not (REPO / ".cache").exists()  # the build leaves nothing in the checkout


def test_a_broken_link_fails_the_build(tmp_path):
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort

    docs = tmp_path / "docs"
    shutil.copytree(REPO / "docs", docs)
    page = docs / "getting-started.md"
    page.write_text(page.read_text() + "\n[gone](no-such-page.md)\n", encoding="utf-8")
    config = load_config(
        str(REPO / "mkdocs.yml"), docs_dir=str(docs), site_dir=str(tmp_path / "site"), strict=True
    )
    with pytest.raises(Abort, match="strict mode"):
        build(config)


def test_the_readme_is_a_front_page():
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 150, len(lines)
    assert "make lab     # install into .venv, then open JupyterLab on notebooks/" in lines[10]
    assert lines[11].startswith("make test    # install into .venv, then run every test")
    for heading in ("## Going live", "## Your own project", "## The commands"):
        assert heading in lines
    assert any("docs/reference/" in line for line in lines)  # links into the site


def test_every_link_of_the_readme_into_docs_exists():
    import re

    text = (REPO / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\((docs/[^)#]+)", text)
    assert targets
    assert [t for t in targets if not (REPO / t).is_file()] == []


def test_the_offline_examples_are_found():
    examples = all_offline_examples()
    readme = offline_examples(REPO / "README.md")
    assert [e.command for e in readme][:2] == [
        "workbench demo",
        "workbench run --cassette notebooks/cassettes/01_rest_design.yaml --quiet",
    ]
    assert len(examples) >= 12
    assert all("--workspace" not in e.command or "mktemp" in e.command for e in examples)


def git_status() -> str:
    done = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


def left_behind(tmp: Path, wait: float = 60.0) -> list[str]:
    """workbench-* folders left in the temp folder, once the warm pytest server had time."""
    deadline = time.monotonic() + wait
    while True:
        left = sorted(
            str(p.relative_to(tmp))
            for p in tmp.glob("workbench-*/**/*")
            if p.relative_to(tmp).parts[0].startswith("workbench-")
        ) or sorted(p.name for p in tmp.iterdir() if p.name.startswith("workbench-"))
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def example_env(tmp: Path, state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "WORKBENCH_"))}
    env.pop("CI", None)  # as a newcomer has it: auto mode, no key
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        TMPDIR=str(tmp),
        WORKBENCH_STATE_DIR=str(state),
        WORKBENCH_PYTEST_GRACE="2",  # the warm pytest server leaves soon after the command
        WORKBENCH_REPO_DOTENV="0",
    )
    return env


@pytest.mark.parametrize("example", all_offline_examples(), ids=str)
def test_an_offline_example_runs_as_written_and_leaves_nothing(example, tmp_path, short_tmp):
    tmp, state = short_tmp, tmp_path / "state"
    before = git_status()
    done = subprocess.run(
        ["bash", "-c", example.command],
        cwd=REPO, capture_output=True, text=True, timeout=600, env=example_env(tmp, state),
    )  # fmt: skip
    assert done.returncode == 0, f"{example}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert git_status() == before, f"{example} changed the checkout"
    assert left_behind(tmp) == [], f"{example} left temp folders"
