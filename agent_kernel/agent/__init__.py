"""The agent and its loop (layer 3): what a run is, and the loop that carries it out.

`definition` reads the agent file and `models` its model table; `system_prompt` builds what
the model is told; `loop` streams turns and runs tools; `runner` wraps one run (diff, PHR,
result); `budget`, `usage`, `events`, `result` and `trajectory` are what a run keeps and
reports as it goes.

May import: `tools`, `api`, `project`, `history`, `contract`, `settings`; never the facade or
a front end.
"""
