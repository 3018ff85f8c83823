"""The terminal front end (layer 1): the `workbench` command and its console view.

May import: the facade and everything below it, and `evals.command` (the `eval` subcommand).
"""
