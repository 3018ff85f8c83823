"""`make lab`: JupyterLab on the lessons, with a first screen that says what to do.

Jupyter's own start-up log is a screen of INFO lines with the URL somewhere in it. This
prints the three things a newcomer needs, then starts JupyterLab with only its warnings:
the URL that opens the tour, that the tour comes first, and whether the session is offline
(no key: the lessons replay scripted sessions) or live.

    python -m agent_kernel.notebook.lab --ip 127.0.0.1 --port 8888 [jupyter lab options]
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys
from pathlib import Path

TOUR = "00_tour.ipynb"
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def session_line() -> str:
    """Offline or live, as the notebooks' auto mode will decide it."""
    from ..api.client import choose_mode
    from ..settings import get_settings

    mode, _ = choose_mode(None, get_settings())
    if mode == "replay" and get_settings().api_key:
        return "Offline: WORKBENCH_MODE or CI says replay, so the lessons replay their sessions."
    if mode == "replay":
        return (
            "Offline: no ANTHROPIC_API_KEY, so the lessons replay scripted sessions (authored "
            "turns, labelled as such; no model is called). To go live, set ANTHROPIC_API_KEY "
            "(or put it in .env) and run make lab again."
        )
    kind = "Live" if mode == "live" else "Live, recording"
    return f"{kind}: ANTHROPIC_API_KEY found, the lessons call the Messages API (costs apply)."


def banner(url: str) -> str:
    return "\n".join(
        [
            "FastAPI Agent Workbench: JupyterLab on notebooks/",
            f"  Open {url}",
            f"  Start with {TOUR}, then one notebook per capability.",
            f"  {session_line()}",
            "  Stop with Ctrl-C.",
            "",
        ]
    )


def port_free(ip: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET) as probe:
        try:
            probe.bind((ip, port))
        except OSError:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent_kernel.notebook.lab")
    parser.add_argument("--ip", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8888)
    args, rest = parser.parse_known_args(argv)
    if not port_free(args.ip, args.port):
        print(
            f"make lab: port {args.port} on {args.ip} is taken; choose another with "
            f"JUPYTER_PORT=8890 make lab",
            file=sys.stderr,
        )
        return 2
    token = os.environ.get("JUPYTER_TOKEN") or secrets.token_urlsafe(24)
    host = f"[{args.ip}]" if ":" in args.ip else args.ip
    print(banner(f"http://{host}:{args.port}/lab/tree/{TOUR}?token={token}"), flush=True)
    jupyter = Path(sys.executable).parent / "jupyter"
    command = [
        str(jupyter),
        "lab",
        "--no-browser",
        f"--ip={args.ip}",
        f"--port={args.port}",
        "--ServerApp.port_retries=0",  # the URL above is the one it serves, or it stops
        f"--ServerApp.root_dir={NOTEBOOKS}",
        "--ServerApp.log_level=WARN",
        "--LabApp.log_level=WARN",
        "--Application.log_level=WARN",  # every server extension too (the chat's persona manager)
        *rest,
    ]
    os.environ["JUPYTER_TOKEN"] = token  # not on the command line, where `ps` shows it
    os.execv(command[0], command)
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
