"""The chat front end (layer 1): the agent as a Jupyter AI persona in JupyterLab's chat.

`persona` is the `jupyter_ai.personas` entry point (jupyter-ai-persona-manager's
`BasePersona`), `conversation` what one chat does with each message (one chat, one session),
`place` which project a chat works on, `render` a run in chat form (Markdown).

May import: the facade and everything below it. Only `persona` imports Jupyter AI, so the
rest is usable (and tested) without a server.
"""
