"""Sessions: a conversation that spans prompts, saved in one trajectory, resumable.

Each `Workbench.run` of a session sends the earlier turns, tool results and contracts along
with the new prompt; each prompt still ends with its own contract and PHR, and the PHRs link
to each other. The session's trajectory (`.workbench/trajectories/<id>.jsonl` in the
workspace) is the one record: resuming reads it back, after the kernel or terminal closed.
A small pointer per session (`<state dir>/sessions/<id>.json`: id, workspace, trajectory)
lets `workbench sessions` and `--resume ID` find it from anywhere; it holds no conversation.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..settings import state_dir
from .trajectory import SUFFIX, Trajectory, load_trajectory
from .usage import Usage

CHECKOUT = Path(__file__).resolve().parents[2]
STOPPED_TOOL = "Not run: the run was stopped before this tool call."


class SessionError(ValueError):
    """A session that cannot be resumed: missing, truncated, or another workspace's."""


def new_session_id() -> str:
    return f"{dt.datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"


def trajectory_path(workspace_root: Path, session_id: str) -> Path:
    return Path(workspace_root) / ".workbench" / "trajectories" / f"{session_id}{SUFFIX}"


@dataclass
class Session:
    """One conversation: its id, its saved trajectory and a summary of each prompt run."""

    id: str
    trajectory: Trajectory
    runs: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def start(cls, workspace_root: Path, info: dict[str, Any]) -> Session:
        session_id = new_session_id()
        path = trajectory_path(workspace_root, session_id)
        data = {"session_id": session_id, "run_id": session_id, **info}
        data["workspace"] = str(Path(workspace_root))
        return cls(session_id, Trajectory(path, data))

    # -- what the session holds so far ------------------------------------------------------

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.trajectory.messages

    @property
    def turns(self) -> int:
        return sum(int(run.get("turns", 0)) for run in self.runs)

    @property
    def usage(self) -> Usage:
        total = Usage()
        for run in self.runs:
            total.add(Usage(**run.get("usage", {})))
        return total

    @property
    def cost_usd(self) -> float:
        return sum(float(run.get("cost_usd", 0.0)) for run in self.runs)

    @property
    def prompts(self) -> list[str]:
        return [run["prompt"] for run in self.runs]

    @property
    def phr_paths(self) -> list[str]:
        return [run["phr_path"] for run in self.runs if run.get("phr_path")]

    @property
    def last_status(self) -> str:
        return self.runs[-1]["status"] if self.runs else "new"

    def __repr__(self) -> str:
        return (
            f"Session({self.id}: {len(self.runs)} prompt(s), {self.turns} turns, "
            f"{self.usage.input_tokens + self.usage.cache_read_tokens} input and "
            f"{self.usage.output_tokens} output tokens, ${self.cost_usd:.4f}, "
            f"last {self.last_status})"
        )

    # -- between prompts --------------------------------------------------------------------

    def close_dangling_tool_calls(self) -> None:
        """A stopped run can leave tool calls without results; the API needs one for each."""
        if not self.messages or self.messages[-1].get("role") != "assistant":
            return
        calls = [
            block["id"]
            for block in self.messages[-1].get("content") or []
            if isinstance(block, dict) and block.get("type") == "tool_use"
        ]
        if calls:
            results = [
                {"type": "tool_result", "tool_use_id": i, "content": STOPPED_TOOL, "is_error": True}
                for i in calls
            ]
            self.messages.append({"role": "user", "content": results})

    def record_run(self, summary: dict[str, Any]) -> None:
        """Add a finished prompt's summary; saved with the trajectory's info."""
        self.runs.append(summary)
        self.trajectory.info["runs"] = list(self.runs)
        self.trajectory.info["session_id"] = self.id
        write_pointer(self)

    # -- resume -----------------------------------------------------------------------------

    @classmethod
    def load(cls, session_id: str, workspace_root: Path) -> Session:
        """The session from its trajectory; SessionError (and nothing changed) when it cannot."""
        path = trajectory_path(workspace_root, session_id)
        if not path.is_file():
            raise SessionError(
                f"no session {session_id!r} in workspace {workspace_root}: "
                f"{path.name} does not exist under .workbench/trajectories/"
            )
        document = read_trajectory(path)
        info = document["info"]
        owner = info.get("session_id") or info.get("run_id")
        if owner != session_id:
            raise SessionError(
                f"{path.name} belongs to session {owner!r}, not {session_id!r}; nothing resumed"
            )
        recorded = info.get("workspace")
        if recorded and Path(recorded).resolve() != Path(workspace_root).resolve():
            raise SessionError(
                f"session {session_id} was started in another workspace ({recorded}); "
                f"resume it there, or start a new session here"
            )
        steps = document["steps"]
        prompts = sum(step.get("kind") == "prompt" for step in steps)
        ends = sum(step.get("kind") == "end" for step in steps)
        if prompts == 0 or ends < prompts:
            raise SessionError(
                f"the trajectory of session {session_id} is truncated (its last prompt has no "
                "end step: the process died mid-run); nothing resumed"
            )
        trajectory = Trajectory(path, info)
        trajectory.messages.extend(document["messages"])
        trajectory.steps.extend(steps)
        runs = info.get("runs") or [_summary_from_info(info, steps)]
        return cls(session_id, trajectory, list(runs))


def read_trajectory(path: Path) -> dict[str, Any]:
    """`load_trajectory`, but strict: a torn last line means a truncated session."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SessionError(f"cannot read {path}: {exc}") from exc
    if not raw.endswith(b"\n"):
        raise SessionError(f"{path.name} is truncated (its last line is incomplete)")
    try:
        document = load_trajectory(path)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise SessionError(f"{path.name} is not a workbench trajectory: {exc}") from exc
    if not isinstance(document.get("info"), dict) or not document["info"]:
        raise SessionError(f"{path.name} is not a workbench trajectory (no info record)")
    return document


def _summary_from_info(info: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    """A run saved before sessions existed: its summary from the info and the steps."""
    prompt = next((s.get("prompt", "") for s in steps if s.get("kind") == "prompt"), "")
    return {
        "prompt": prompt,
        "status": info.get("status", "unknown"),
        "turns": info.get("turns", 0),
        "usage": info.get("usage", {}),
        "cost_usd": info.get("cost_usd", 0.0),
        "phr_path": info.get("phr_path"),
    }


# -- the pointers behind `workbench sessions` ---------------------------------------------------


def write_pointer(session: Session) -> None:
    folder = state_dir() / "sessions"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        pointer = {
            "id": session.id,
            "workspace": session.trajectory.info.get("workspace"),
            "project": session.trajectory.info.get("project", ""),
            "trajectory": str(session.trajectory.path),
            "cassette": session.trajectory.info.get("cassette"),
            "checkout": str(CHECKOUT),  # which installation made it: `sessions` filters on it
        }
        tmp = folder / f".{session.id}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(pointer), encoding="utf-8")
        tmp.replace(folder / f"{session.id}.json")
    except OSError:
        pass  # the list is a convenience; the trajectory in the workspace is the record


def find_workspace(session_id: str) -> Path:
    """The workspace a session was started in, from its pointer."""
    return Path(read_pointer(session_id)["workspace"])


def read_pointer(session_id: str) -> dict[str, Any]:
    """A session's pointer: id, workspace, project, trajectory, and the cassette it replayed."""
    pointer = state_dir() / "sessions" / f"{session_id}.json"
    try:
        data = json.loads(pointer.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SessionError(
            f"no session {session_id!r} is known here (see `workbench sessions`); pass its "
            "workspace to resume it from there"
        ) from None
    except (OSError, ValueError) as exc:
        raise SessionError(f"the pointer of session {session_id} cannot be read: {exc}") from exc
    if not isinstance(data, dict) or not data.get("workspace"):
        raise SessionError(f"the pointer of session {session_id} names no workspace")
    return data


def list_sessions() -> list[dict[str, Any]]:
    """Every known session whose trajectory still exists, newest first."""
    rows: list[dict[str, Any]] = []
    folder = state_dir() / "sessions"
    for pointer in sorted(folder.glob("*.json"), reverse=True) if folder.is_dir() else []:
        try:
            data = json.loads(pointer.read_text(encoding="utf-8"))
            session = Session.load(data["id"], Path(data["workspace"]))
        except (SessionError, OSError, ValueError, KeyError):
            continue
        rows.append(
            {
                "id": session.id,
                "workspace": data["workspace"],
                "project": data.get("project") or Path(data["workspace"]).name,
                "first_prompt": session.prompts[0] if session.prompts else "",
                "prompts": len(session.runs),
                "turns": session.turns,
                "cost_usd": round(session.cost_usd, 6),
                "last_status": session.last_status,
                "source": session.trajectory.info.get("source", "live"),
                "checkout": data.get("checkout"),
                "project_dir": session.trajectory.info.get("project_dir"),
            }
        )
    return rows
