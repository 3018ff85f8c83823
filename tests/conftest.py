"""Suite-wide: the repo's own `.env` (a developer's key, say) never reaches a test."""

import os

os.environ["WORKBENCH_REPO_DOTENV"] = "0"
