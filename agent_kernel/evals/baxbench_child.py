"""The process that imports a BaxBench checkout: describes scenarios and runs their tests.

BaxBench's modules take generic top-level names (`scenarios`, `env`, `cwes`, `exploits`),
need the Docker SDK at import time and use Python 3.12 syntax, so they are imported in a
process of their own, never in the workbench's: with the 3.12 compatibility finder, the
Docker stand-in in place of `docker`, and the `scenarios` and `env` packages opened without
running their `__init__` (which imports every scenario and its dependencies), so only the
selected scenarios are imported.

    python -m agent_kernel.evals.baxbench_child describe SRC ID [ID ...] [--prompt agent|oneshot]
    python -m agent_kernel.evals.baxbench_child test SRC ID CODE_DIR [--timeout S] [--python P]

Each test runs against a fresh container of the app (`container.Container`, bubblewrap),
started as BaxBench starts it; the tests' Docker calls are answered inside it.

Each prints one JSON object on its last stdout line; `{"error": ...}` (exit 3) says what is
missing when the checkout cannot be used.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import sys
import tempfile
import threading
import time
import types
from pathlib import Path
from typing import Any

from . import docker_standin, py312_compat
from .app_server import AppStartError, served_app

SCENARIO_ID = re.compile(r"""^SCENARIO\s*=\s*Scenario\(\s*id\s*=\s*["']([^"']+)["']""", re.M)
WORKDIR_PHRASE = "your working directory `/app`"
WORKSPACE_PHRASE = "your working directory (the workspace root)"
SERVER_CRASH_CWE = "IMPROPER_CHECK_OR_HANDLING_OF_EXCEPTIONAL_CONDITIONS"
RESOURCE_CWE = "UNCONTROLLED_RESOURCE_CONSUMPTION"
APP_TAIL = 1200


class CheckoutError(RuntimeError):
    """The checkout cannot be used as it is; the message says what is missing."""


def scenario_files(src: Path) -> dict[str, Path]:
    """Scenario id -> its module file, read from the sources (nothing is imported)."""
    found: dict[str, Path] = {}
    for path in sorted((src / "scenarios").glob("*.py")):
        match = SCENARIO_ID.search(path.read_text(encoding="utf-8", errors="replace"))
        if match:
            found[match.group(1)] = path
    return found


def _open_package(name: str, folder: Path) -> None:
    """Make `name` importable as a package without running its `__init__`."""
    if name in sys.modules:
        return
    package = types.ModuleType(name)
    package.__path__ = [str(folder)]  # type: ignore[attr-defined]
    package.__file__ = str(folder / "__init__.py")
    sys.modules[name] = package


def prepare(src: Path) -> None:
    """Ready this process to import the checkout at `src` (its `src/` folder)."""
    for required in ("scenarios/base.py", "env/base.py", "cwes.py"):
        if not (src / required).is_file():
            raise CheckoutError(f"{src} is not a BaxBench src/ folder: no {required}")
    docker_standin.install()
    py312_compat.install(src)
    _open_package("scenarios", src / "scenarios")
    _open_package("env", src / "env")


def _import(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = exc.name or str(exc)
        raise CheckoutError(
            f"BaxBench's {module} needs the Python package {missing!r}, which is not installed "
            f"here (pip install {missing.split('.')[0]})"
        ) from exc


def load_scenarios(src: Path, ids: list[str]) -> dict[str, Any]:
    files = scenario_files(src)
    unknown = [scenario_id for scenario_id in ids if scenario_id not in files]
    if unknown:
        raise CheckoutError(
            f"unknown BaxBench scenario(s): {', '.join(unknown)}; "
            f"the checkout has: {', '.join(files) or 'none'}"
        )
    return {sid: load_scenario(files[sid]) for sid in ids}


def load_scenario(path: Path) -> Any:
    try:
        return _import(f"scenarios.{path.stem}").SCENARIO
    except SyntaxError as exc:
        raise CheckoutError(
            f"{path.name} uses syntax this Python ({sys.version.split()[0]}) cannot read, "
            f"beyond the `type` statements the workbench rewrites: {exc}"
        ) from exc


def fastapi_env() -> Any:
    return _import("env.python").FastAPIEnv


def cwe_label(cwe: Any) -> str:
    value = getattr(cwe, "value", None)
    if isinstance(value, dict) and "num" in value:
        return f"CWE-{value['num']}"
    return str(getattr(cwe, "name", cwe))


def describe(src: Path, ids: list[str], safety: str, style: str = "agent") -> list[dict[str, Any]]:
    """What the workbench needs of each scenario: its prompt, tests and CWEs.

    `style` agent: BaxBench's agent prompt (`agent=True`: save the app in `code/`), its
    `/app` working directory named as the workspace root. oneshot: the generation prompt
    BaxBench sends for its published numbers (`agent=False`: reply with the code), as is.
    """
    env = fastapi_env()
    files = scenario_files(src)
    described: list[dict[str, Any]] = []
    for sid in ids:
        if sid not in files:
            described.append({"id": sid, "error": f"no scenario {sid!r} in the checkout"})
            continue
        try:
            scenario = load_scenario(files[sid])
        except CheckoutError as exc:
            described.append({"id": sid, "error": str(exc)})
            continue
        prompt = scenario.build_prompt(env, "openapi", safety, style == "agent")
        if style == "agent":
            prompt = prompt.replace(WORKDIR_PHRASE, WORKSPACE_PHRASE)
        described.append(
            {
                "id": sid,
                "title": scenario.short_app_description,
                "prompt": prompt.strip() if style == "agent" else prompt,
                "potential_cwes": sorted(cwe_label(c) for c in scenario.potential_cwes),
                "functional": [test.__name__ for test in scenario.functional_tests],
                "security": [test.__name__ for test in scenario.security_tests],
                "needs_db": scenario.needs_db,
                "needs_secret": scenario.needs_secret,
                "code_filename": env.code_filename,
                "framework": f"{env.language}-{env.framework}",
                "entrypoint": env.entrypoint_cmd,
                "allowed_packages": env.allowed_packages,
            }
        )
    return described


def _last_lines(text: str, count: int = 3) -> str:
    """The end of a server log: where a traceback says what went wrong."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    head = lines[0] if lines else ""
    return head if len(lines) <= 1 else f"{head} ... {' | '.join(lines[-count:])}"


def app_output(log: str, limit: int = APP_TAIL) -> str:
    """The app's own output worth showing: its last traceback, else its last lines."""
    at = log.rfind("Traceback (most recent call last)")
    text = log[at:] if at >= 0 else "\n".join(log.strip().splitlines()[-6:])
    text = text.strip()
    if len(text) <= limit:
        return text
    head = "Traceback (most recent call last): " if at >= 0 else ""
    return f"{head}...{text[-limit:]}"


def _call(test: Any, app: Any, timeout: float) -> tuple[Any, BaseException | None, bool]:
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = test(app)
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=target, name=test.__name__, daemon=True)
    worker.start()
    worker.join(timeout)
    return box.get("value"), box.get("error"), worker.is_alive()


def run_one(
    kind: str,
    test: Any,
    code_dir: Path,
    env: Any,
    app_instance: Any,
    cwe: Any,
    timeout: float,
    python: str | None = None,
) -> list[dict[str, Any]]:
    """One test on a fresh container (fresh app, fresh database), scored as BaxBench does."""
    name = test.__name__
    case: dict[str, Any] = {"kind": kind, "name": name, "passed": False, "ran": True}
    case.update(message="", cwes=[])
    extra: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix=f"baxbench-{name}-") as tmp:
        run_dir = Path(tmp)
        try:
            with served_app(
                code_dir,
                run_dir,
                python=python,
                workdir=env.workdir,
                entrypoint=env.entrypoint_cmd,
                port=getattr(env, "port", 5000),
            ) as served:
                container = served.container
                docker_standin.register(container)
                try:
                    ran_before = container.running()
                    app = app_instance(
                        port=served.port,
                        log_file_path=run_dir / f"{name}.log",
                        container_id=container.id,
                        env=env,
                    )
                    value, error, hung = _call(test, app, timeout)
                    time.sleep(0.05)  # a crash caused by the last request shows by now
                    crashed = ran_before and not container.running()
                    app_log = served.log_tail(20_000)
                finally:
                    docker_standin.unregister(container.id)
                log_path = run_dir / f"{name}.log"
                log = log_path.read_text(errors="replace")[-600:] if log_path.exists() else ""
        except AppStartError as exc:
            case["message"] = f"the app did not start: {app_output(str(exc))}"
            if kind == "security":
                case["ran"] = False
            return [case]
    found = sorted(cwe_label(c) for c in value) if isinstance(value, set) else []
    if hung:
        problem = f"timed out after {timeout:g}s"
    elif error is not None:
        problem = f"{type(error).__name__}: {error}"[:400]
    else:
        problem = ""
    if kind == "functional":
        case["passed"] = value is True and not problem
        if not case["passed"]:
            case["message"] = problem or f"returned {value!r}; {log}"[:600]
            if app_log.strip():
                case["message"] += f"\napp output: {app_output(app_log)}"
    elif problem or value is None:
        case["ran"] = False
        case["message"] = problem or "the test could not complete (it returned None)"
    else:
        case["cwes"] = found
        case["passed"] = not found
        case["message"] = "" if not found else f"found {', '.join(found)}"
    if crashed:
        crash = cwe_label(getattr(cwe, SERVER_CRASH_CWE))
        if kind == "security" and cwe_label(getattr(cwe, RESOURCE_CWE)) in case["cwes"]:
            return [case]
        extra.append(
            {
                "kind": "security",
                "name": f"server still running after {name}",
                "passed": False,
                "ran": True,
                "message": f"the server process crashed during {name}: {app_output(app_log)}",
                "cwes": [crash],
            }
        )
    return [case, *extra]


def run_tests(
    src: Path, scenario_id: str, code_dir: Path, timeout: float, python: str | None = None
) -> dict[str, Any]:
    from ..sandbox.bwrap import SandboxUnavailable, find_bwrap

    try:
        find_bwrap()
    except SandboxUnavailable as exc:
        raise CheckoutError(f"BaxBench's tests run each app in a container: {exc}") from exc
    scenario = load_scenarios(src, [scenario_id])[scenario_id]
    env = fastapi_env()
    app_instance = _import("scenarios.base").AppInstance
    cwe = _import("cwes").CWE
    _import("requests")
    started = time.monotonic()
    cases: list[dict[str, Any]] = []
    tests = [("functional", t) for t in scenario.functional_tests]
    tests += [("security", t) for t in scenario.security_tests]
    for kind, test in tests:
        # BaxBench's tests log and print as they go; that stays out of our JSON line.
        with contextlib.redirect_stdout(io.StringIO()):
            cases.extend(run_one(kind, test, code_dir, env, app_instance, cwe, timeout, python))
    return {"cases": cases, "duration": time.monotonic() - started}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent_kernel.evals.baxbench_child")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("describe")
    d.add_argument("src", type=Path)
    d.add_argument("ids", nargs="+")
    d.add_argument("--safety", default="none", choices=("none", "generic", "specific"))
    d.add_argument("--prompt", default="agent", choices=("agent", "oneshot"))
    t = sub.add_parser("test")
    t.add_argument("src", type=Path)
    t.add_argument("id")
    t.add_argument("code_dir", type=Path)
    t.add_argument("--timeout", type=float, default=60.0)
    t.add_argument("--python", default=None, help="the interpreter the apps run on")
    args = parser.parse_args(argv)
    try:
        prepare(args.src.resolve())
        if args.command == "describe":
            payload: Any = {"scenarios": describe(args.src, args.ids, args.safety, args.prompt)}
        else:
            payload = run_tests(
                args.src, args.id, args.code_dir.resolve(), args.timeout, args.python
            )
    except CheckoutError as exc:
        print(json.dumps({"error": str(exc)}))
        return 3
    print(json.dumps(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
