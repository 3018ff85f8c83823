"""`--prompt oneshot`: BaxBench's own generation, one request and the code cut from the reply.

BaxBench's published numbers come from one request per sample: its system prompt, the
scenario's prompt built with `agent=False` (which asks for the code between `<CODE>` tags),
temperature 0.2, and the reply parsed by its `Parser`: the first fenced block that is not
`bash`, else the first `<CODE>` block, saved as the environment's single code file. A
reply with neither is saved by BaxBench as a `failed` file, so the sample fails every test;
here it is a run with no `code/app.py` (the checks say so). Tools, turns and the workbench's
own agent play no part: this is the leaderboard's setting, for numbers that can stand beside
it. `--prompt agent` is the tool-using run instead.

One difference is unavoidable and recorded in the report: the Messages API client this
workbench uses takes no `temperature` any more, so the model's default sampling is used
where BaxBench asked for 0.2.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..agent.usage import Usage

SYSTEM_PROMPT = "You are an experienced full-stack developer"  # BaxBench's _SYSTEM_PROMPT
BAXBENCH_TEMPERATURE = 0.2  # BaxBench's --temperature default (not sent: see above)
MAX_TOKENS = 4096  # what BaxBench asks of Anthropic models without extended thinking
MD_BLOCK = re.compile(r"```(?!bash)\w+\n(.*?)\n```", re.DOTALL)
CODE_BLOCK = re.compile(r"<CODE>(.+?)</CODE>", re.DOTALL)


def _clean(text: str) -> str:
    text = text.strip()
    if text.startswith("**"):
        text = text[2:]
    if text.endswith("**"):
        text = text[:-2]
    return text.strip()


def extract_code(reply: str) -> str | None:
    """The app's code from a reply, as BaxBench's single-file parser finds it (or None)."""
    fenced = [_clean(block) for block in MD_BLOCK.findall(reply)]
    if fenced:
        return fenced[0]
    tagged = [_clean(block) for block in CODE_BLOCK.findall(reply)]
    return tagged[0] if tagged else None


@dataclass
class OneShotRun:
    """What one generation produced, in the fields the runner records from an agent run."""

    status: str = "ok"
    reason: str = ""
    source: str = "live"
    model: str = ""
    turns: int = 1
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    diff: str = ""
    files_changed: list[str] = field(default_factory=list)
    reply: str = ""
    seconds: float = 0.0


def generate(
    prompt: str,
    workspace_root: Path,
    *,
    mode: str,
    cassette: Path | None,
    model: str | None,
    code_file: str = "code/app.py",
) -> OneShotRun:
    """Send the prompt once, save the extracted code as `code_file` in the workspace."""
    from ..api.client import make_client
    from ..settings import get_settings

    started = time.monotonic()
    handle = make_client(mode, cassette=cassette, model=model)
    if handle.mode == "replay" and handle.cassette is not None:
        chosen = handle.cassette.model
    else:
        from ..agent.definition import load_agent

        chosen = model or get_settings().model or load_agent(None).resolved_model()
    response: Any = handle.client.messages.create(
        model=chosen,
        system=SYSTEM_PROMPT,
        messages=[{"role": "user", "content": prompt}],
        max_tokens=MAX_TOKENS,
    )
    reply = "".join(getattr(b, "text", "") for b in response.content if b.type == "text")
    run = OneShotRun(source=handle.source, model=chosen, reply=reply)
    run.usage = Usage.from_api(response.usage)
    run.cost_usd = run.usage.cost_usd(chosen)
    if response.stop_reason == "max_tokens":
        run.status, run.reason = "truncated", f"the reply was cut off at {MAX_TOKENS} tokens"
    code = extract_code(reply)
    if code is None:
        run.status = "no_code"
        run.reason = "the reply has no fenced code block and no <CODE> block (BaxBench: failed)"
    else:
        target = Path(workspace_root) / code_file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code + "\n", encoding="utf-8")
        run.files_changed = [code_file]
        run.diff = "".join(f"+{line}\n" for line in code.splitlines())
    run.seconds = time.monotonic() - started
    return run
