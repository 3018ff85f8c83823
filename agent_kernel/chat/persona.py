"""The agent as a Jupyter AI persona: `@fastapi-backend-agent` in JupyterLab's chat.

Registered under the `jupyter_ai.personas` entry point, so jupyter-ai-persona-manager
puts one in every chat. Its name and description come from the agent file, the same one the
notebooks, the CLI and Claude Code read. Each chat has its own `Conversation` (one chat, one
session, on the project the chat file sits in); this class only adapts Jupyter AI's calls to
it. A message sent while a run works goes straight to the conversation (it answers a question
or a review, or is queued for the next turn boundary) instead of waiting behind the run, as
`BasePersona.on_message` would make it.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any

from jupyter_ai_persona_manager import BasePersona, PersonaDefaults
from jupyter_ai_persona_manager.awareness_models import CommandOption
from jupyterlab_chat.models import Message, NewMessage

from ..agent.definition import load_agent
from .conversation import COMMANDS, META_KEY, Conversation

AVATAR = Path(__file__).with_name("avatar.svg")


@functools.cache
def persona_defaults() -> PersonaDefaults:
    """Name, description and prompt from the agent file; the avatar beside this module."""
    agent = load_agent()
    return PersonaDefaults(
        name=agent.name,
        description=" ".join(agent.description.split()),
        avatar_path=str(AVATAR),
        system_prompt=agent.system_prompt,
    )


class FastAPIBackendPersona(BasePersona):
    """The FastAPI backend agent in a chat, through the same `Workbench` as every front end."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conversation = Conversation(
            self,
            chat_dir=self.get_chat_dir(),
            chat_id=self.chat.get_id(),
            loop=self.event_loop,
            mention=self.as_user().mention_name,
        )
        self.report_slash_commands(
            [CommandOption(name=name, description=what) for name, what in COMMANDS.items()]
        )

    @property
    def defaults(self) -> PersonaDefaults:
        return persona_defaults()

    async def on_message(self, message: Message) -> None:
        if self.conversation.deliver(message.body):
            return
        await super().on_message(message)

    async def process_message(self, message: Message) -> None:
        await self.conversation.handle(message.body)

    async def cancel_response(self) -> None:
        """The chat's stop control: the run ends at its next safe point, its work kept."""
        self.conversation.stop()

    async def shutdown(self) -> None:
        """The chat closes or the personas reload: a run in flight stops, its work kept."""
        self.conversation.stop()
        await super().shutdown()

    # -- the conversation's ChatSink ------------------------------------------------------

    def post(self, body: str) -> str:
        return self.chat.add_message(NewMessage(body=body, sender=self.id))

    def update(self, message_id: str, body: str) -> None:
        self.chat.update_message(
            Message(id=message_id, body=body, time=time.time(), sender=self.id, raw_time=False)
        )

    def set_status(self, text: str | None = "is typing...") -> None:
        if text is None:
            self.clear_status()
        else:
            super().set_status(text)

    def get_metadata(self) -> dict[str, Any]:
        return dict(self.chat.get_metadata() or {})

    def set_metadata(self, value: dict[str, Any]) -> None:
        self.chat.set_metadata(META_KEY, value)
