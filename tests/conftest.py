"""Suite-wide: the repo's own `.env` (a developer's key, say) never reaches a test."""

import os
import tempfile

os.environ["WORKBENCH_REPO_DOTENV"] = "0"

# Projects the tests open as a user's own (each has its own tests, run in its private copy).
collect_ignore = ["fixtures"]

# Session pointers (`workbench sessions`) of test runs stay out of the user's state folder.
os.environ.setdefault("WORKBENCH_STATE_DIR", tempfile.mkdtemp(prefix="workbench-state-"))

# The user's own memory (~/.claude/CLAUDE.md) never reaches a test, a cassette or an output:
# runs read it from `$CLAUDE_CONFIG_DIR`, an empty folder here.
os.environ["CLAUDE_CONFIG_DIR"] = tempfile.mkdtemp(prefix="workbench-claude-config-")
