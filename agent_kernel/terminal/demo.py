"""`workbench demo`: the first step without a key, the tour's scripted session in a terminal.

It replays `notebooks/cassettes/00_tour.yaml` in a new temporary workspace (removed when the
command ends), streams the run, prints the contract, the acceptance checks and the diff, and
says how to go live.
"""

from __future__ import annotations

import sys

from .sections import checks_text, contract_text, diff_text

DEMO_SESSION = "00_tour"
GO_LIVE = """\
This was a scripted session: authored turns replayed offline, not a model's answer, and its
tokens and cost are estimates. To run the agent for real:

  export ANTHROPIC_API_KEY=...        # or put it in .env
  workbench run "Add a GET /api/ping route" --keep   # --keep: the workspace stays, to look at

`make lab` opens the same session, and one notebook per capability, in JupyterLab."""


def run_demo() -> int:
    """Replay the tour's session; 0 when it ended ok with every acceptance check passing."""
    from ..api.cassette import load_cassette
    from ..workbench import Workbench, cassette_for
    from .console import ConsoleObserver

    cassette = cassette_for(DEMO_SESSION)
    prompt = load_cassette(cassette).prompt or ""
    wb = Workbench(DEMO_SESSION, mode="replay", cassette=cassette, display=False)
    print(f"workbench demo: the tour's scripted session, in {wb.workspace.root}\n")
    print(f"Prompt:\n{prompt}\n")
    result = wb.run(prompt, observers=[ConsoleObserver(sys.stdout)], command="workbench demo")
    sections = [
        ("Execution Contract", contract_text(result.contract)),
        ("Checks", checks_text(result.checks)),
        ("Diff", diff_text(result.diff)),
    ]
    for title, text in sections:
        print(f"\n== {title}\n{text}")
    print(f"\nPHR: {result.phr_path} (in the temporary workspace, removed when this ends)\n")
    print(GO_LIVE)
    return 0 if result.ok and all(check.passed for check in result.checks) else 1
