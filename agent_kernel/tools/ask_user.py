"""`ask_user`: the human as a tool, never blocking a run that has nobody to ask.

An answer provider answers the question: the widget panel, the CLI prompt (only when
stdin is a terminal), or answers given up front (a notebook parameter, a cassette).
With no provider, or one that has no answer, the tool returns at once and the agent
proceeds on assumptions it states in its contract.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from .base import AnswerProvider, ToolContext, ToolError

NOBODY = (
    "Nobody is available to answer; proceed on stated assumptions and list them in the contract."
)


def answers_from(answers: Mapping[str, str] | Sequence[str]) -> AnswerProvider:
    """Answers given up front.

    A mapping is matched by the exact question, else by the longest key found in the
    question (both case-insensitive); a list is consumed in order, then runs dry (None).
    """
    if isinstance(answers, Mapping):
        table = {str(key).strip().lower(): str(value) for key, value in answers.items()}

        def from_mapping(question: str, choices: list[str] | None) -> str | None:
            asked = question.strip().lower()
            if asked in table:
                return table[asked]
            hits = [key for key in table if key and key in asked]
            return table[max(hits, key=len)] if hits else None

        return from_mapping
    if isinstance(answers, str):
        raise TypeError("answers_from takes a mapping or a list of answers, not a string")
    queue = [str(answer) for answer in answers]

    def from_list(question: str, choices: list[str] | None) -> str | None:
        return queue.pop(0) if queue else None

    return from_list


def cli_answer(question: str, choices: list[str] | None) -> str | None:
    """Ask at the terminal; None when stdin is not interactive (CI, papermill, pipes)."""
    if not sys.stdin or not sys.stdin.isatty():
        return None
    print(f"\nThe agent asks: {question}", file=sys.stderr)
    for number, choice in enumerate(choices or [], start=1):
        print(f"  {number}. {choice}", file=sys.stderr)
    try:
        reply = input("Your answer (empty to let the agent assume): ").strip()
    except EOFError:
        return None
    if not reply:
        return None
    if choices and reply.isdigit() and 1 <= int(reply) <= len(choices):
        return choices[int(reply) - 1]
    return reply


def chain(*providers: AnswerProvider | None) -> AnswerProvider:
    """The first answer any provider gives, in order."""

    def chained(question: str, choices: list[str] | None) -> str | None:
        for provider in providers:
            if provider is None:
                continue
            answer = provider(question, choices)
            if answer is not None:
                return answer
        return None

    return chained


class AskUserTool:
    """`ask_user`: a question (with optional choices) for the person running the agent."""

    name = "ask_user"

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": (
                "Ask the person running you a clarifying question when the request is "
                "ambiguous, when a choice has real trade-offs the user should make (e.g. "
                "auth scheme, pagination style, breaking an API), or before a significant "
                "decision. Ask one focused question at a time; offer `choices` when the "
                "options are known. If nobody is available the tool says so immediately: "
                "then proceed on explicit assumptions and list them in the contract's "
                "constraints. Do not ask about things you can find out yourself with the "
                "editor, run_tests or inspect_api."
            ),
            "input_schema": {
                "type": "object",
                "properties": {
                    "question": {"type": "string", "description": "The question, one line."},
                    "choices": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "Optional answers to pick from (2-4 are best).",
                    },
                },
                "required": ["question"],
                "additionalProperties": False,
            },
        }

    def __call__(self, tool_input: dict[str, Any], ctx: ToolContext) -> str:
        question = tool_input.get("question")
        if not isinstance(question, str) or not question.strip():
            raise ToolError("`question` must be a non-empty string")
        choices = tool_input.get("choices")
        if choices is not None and (
            not isinstance(choices, list) or not all(isinstance(c, str) for c in choices)
        ):
            raise ToolError("`choices` must be a list of strings")
        if ctx.answer is None:
            return NOBODY
        try:
            answer = ctx.answer(question.strip(), choices or None)
        except Exception as exc:
            raise ToolError(f"asking the user failed: {type(exc).__name__}: {exc}") from exc
        if answer is None:
            return NOBODY
        return f"The user answered: {answer}"
