"""Suite-wide: the repo's own `.env` (a developer's key, say) never reaches a test."""

import os

os.environ["WORKBENCH_REPO_DOTENV"] = "0"

# Projects the tests open as a user's own (each has its own tests, run in its private copy).
collect_ignore = ["fixtures"]
