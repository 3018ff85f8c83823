"""The code the agent works on (layer 5): its workspace, and running that code safely.

`workspace` is the confined private copy and its diff; `live_check` imports the app fresh
for a `TestClient`; `pytest_run` runs its tests (forked from the warm `pytest_server`, or in a
`bounded_process`), compiled from source by `source_only`; `warmup` imports the app's stack
while the kernel waits.

May import: `history`, `contract`, `settings`; never a tool, the loop or a front end.
"""
