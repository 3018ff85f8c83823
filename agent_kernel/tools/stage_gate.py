"""The gate a `/sp.*` stage's file passes before `submit_result` accepts the contract.

What is still open goes back to the model as the tool's error: placeholders to replace,
mandatory sections to write, tasks to number. An open question (`[NEEDS CLARIFICATION: ...]`)
goes to the user first (human as tool, the same answer providers `ask_user` has); the answer,
or the word that nobody answered, is handed to the model with it.
"""

from __future__ import annotations

from ..specs.stages import STAGE_KEY, StageRun
from .ask_user import NOBODY
from .base import ToolContext, ToolError

CLARIFICATIONS = "clarifications"

__all__ = ["STAGE_KEY", "stage_gate"]


def stage_gate(stage: StageRun, ctx: ToolContext) -> None:
    """Pass when the stage's file is finished; otherwise raise ToolError saying what is open."""
    check = stage.check(ctx.workspace.root)
    if check.ok:
        return
    asked: list[dict[str, str | None]] = ctx.extra.setdefault(CLARIFICATIONS, [])
    lines = [f"The /sp.{stage.name} stage is not finished: {stage.path} needs more work."]
    lines += [f"- {problem}" for problem in check.problems]
    for question in check.questions:
        known = next((item for item in asked if item["question"] == question), None)
        if known is None:
            answer = ctx.answer(question, None) if ctx.answer is not None else None
            known = {"question": question, "answer": answer}
            asked.append(known)
        if known["answer"]:
            lines.append(
                f'- The user answered "{question}": {known["answer"]}. Put the answer in '
                "place of the marker, record it under ## Clarifications, and update what "
                "it touches."
            )
        else:
            lines.append(
                f'- Open question "{question}": {NOBODY} Replace the marker with the '
                "assumption you make."
            )
    lines.append("Fix these in the file, then call submit_result again.")
    raise ToolError("\n".join(lines))
