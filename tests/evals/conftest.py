"""Fixtures for the eval harness tests: an offline environment and an in-process CLI.

Every run is in replay mode from the suite's scripted sessions; nothing reaches a network.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from eval_harness import EvalRun, run_eval

from agent_kernel.settings import get_settings


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No key, no WORKBENCH_* or CI, a cwd without `.env`: replay is the only way to run."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            scrubbed = name.startswith(("ANTHROPIC_", "WORKBENCH_")) or name == "CI"
            if scrubbed and name != "WORKBENCH_REPO_DOTENV":
                patch.delenv(name, raising=False)
        patch.chdir(tmp_path_factory.mktemp("cwd"))
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


@pytest.fixture
def eval_cli(offline: None) -> Callable[..., EvalRun]:
    return run_eval
