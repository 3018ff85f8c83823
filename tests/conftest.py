"""Suite-wide: the repo's own `.env` (a developer's key, say) never reaches a test."""

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["WORKBENCH_REPO_DOTENV"] = "0"

# Projects the tests open as a user's own (each has its own tests, run in its private copy).
collect_ignore = ["fixtures"]

# Session pointers (`workbench sessions`) of test runs stay out of the user's state folder.
# The folder goes when the run that made it ends (a test run leaves no /tmp/workbench-*).
if "WORKBENCH_STATE_DIR" not in os.environ:
    _STATE = tempfile.mkdtemp(prefix="workbench-state-")
    _OWNER = os.getpid()
    os.environ["WORKBENCH_STATE_DIR"] = _STATE
    atexit.register(lambda: os.getpid() == _OWNER and shutil.rmtree(_STATE, ignore_errors=True))

# The user's own memory (~/.claude/CLAUDE.md) never reaches a test, a cassette or an output:
# runs read it from `$CLAUDE_CONFIG_DIR`, an empty folder here, gone when the run ends.
_CLAUDE = tempfile.mkdtemp(prefix="workbench-claude-config-")
_CLAUDE_OWNER = os.getpid()
os.environ["CLAUDE_CONFIG_DIR"] = _CLAUDE
atexit.register(lambda: os.getpid() == _CLAUDE_OWNER and shutil.rmtree(_CLAUDE, ignore_errors=True))


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A private temp folder with a short path, to run a command with TMPDIR pointing at it.

    Short: the warm pytest server listens on a Unix socket inside TMPDIR, and a socket path
    must stay under about 100 characters (pytest's own tmp_path can be longer).
    """
    folder = Path(tempfile.mkdtemp(prefix="t-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
