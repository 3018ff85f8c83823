"""Spec-driven work (layer 5): project memory, the `/sp.*` stages and red-before-green.

`memory` reads the files Claude Code reads into every run (`CLAUDE.md` with its `@imports`,
`AGENTS.md`, the constitution); `features` numbers `specs/NNN-name/` folders atomically;
`templates` holds the built-in stage templates and finds a project's own; `stages` lays a
stage's file down before the model starts and checks what it wrote (`checks`); `red_green`
runs the new tests against the code as it was before the run and as it is after.

May import: `project`, `history`, `contract`, `settings`; never a tool, the loop or a front end.
"""
