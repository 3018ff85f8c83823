"""`python -m agent_kernel.evals`: `workbench eval` without the main command line."""

from .command import main

raise SystemExit(main())
