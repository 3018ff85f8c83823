"""Options that make an allowed command run another program or write somewhere else.

The sandbox already confines what a command can reach; these are refused before it even
starts, so the model reads why at once: git's pager and output options (`-O`,
`--open-files-in-pager`, `--output`), its global options before the subcommand (`-c`, `-C`,
`--exec-path`, `--git-dir`, `--work-tree`); pytest's plugin, rootdir, temp, report and ini
options; ruff's `--output-file` and a `--config` outside the workspace; pip's `--log`,
`--target` and install roots.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

GIT_ANYWHERE = ("--open-files-in-pager", "--output", "--exec-path", "--git-dir", "--work-tree")
GIT_SHORT = ("-O",)
PYTEST_LONG = (
    "--basetemp",
    "--rootdir",
    "--confcutdir",
    "--junitxml",
    "--junit-xml",
    "--debug",
    "--override-ini",
    "--config-file",
    "--pastebin",
    "--resultlog",
    "--report-log",
)
PYTEST_SHORT = "poc"  # -p plugin, -o ini override, -c config file
PYTEST_SHORT_WITH_VALUE = "kmrWn"  # the rest of such a cluster is that option's value
RUFF_LONG = ("--output-file",)
PIP_LONG = ("--log", "--log-file", "--target", "--root", "--prefix", "--src", "--cache-dir")
PIP_SHORT = ("-t",)


def _long(arg: str, names: Sequence[str]) -> str | None:
    for name in names:
        if arg == name or arg.startswith(name + "="):
            return name
    return None


def _short(arg: str, names: Sequence[str]) -> str | None:
    for name in names:
        if arg.startswith(name) and not arg.startswith("--"):
            return name
    return None


def _git(args: Sequence[str], _root: Path) -> str | None:
    if args and args[0].startswith("-"):
        return f"{args[0]} (git's options before the subcommand)"
    for arg in args:
        found = _long(arg, GIT_ANYWHERE) or _short(arg, GIT_SHORT)
        if found:
            return found
    return None


def _pytest(args: Sequence[str], _root: Path) -> str | None:
    for arg in args:
        found = _long(arg, PYTEST_LONG)
        if found:
            return found
        if arg.startswith("-") and not arg.startswith("--"):
            for letter in arg[1:]:
                if letter in PYTEST_SHORT:
                    return f"-{letter}"
                if letter in PYTEST_SHORT_WITH_VALUE:
                    break
    return None


def _ruff(args: Sequence[str], root: Path) -> str | None:
    for index, arg in enumerate(args):
        found = _long(arg, RUFF_LONG)
        if found:
            return found
        if arg == "--config" or arg.startswith("--config="):
            value = arg.partition("=")[2] or (args[index + 1] if index + 1 < len(args) else "")
            target = (root / value).resolve()
            if "=" in value and not value.endswith(".toml"):
                continue  # an inline setting (`--config "line-length=100"`), not a file
            if target != root and root not in target.parents:
                return "--config outside the workspace"
    return None


def _pip(args: Sequence[str], _root: Path) -> str | None:
    for arg in args:
        found = _long(arg, PIP_LONG) or _short(arg, PIP_SHORT)
        if found:
            return found
    return None


def _program(argv: Sequence[str]) -> tuple[str, Sequence[str]] | None:
    """(program, its arguments) for the commands whose options are checked."""
    name = Path(argv[0]).name
    if name in ("python", "python3") and len(argv) > 2 and argv[1] == "-m":
        module = argv[2].split(".")[0]
        return module, argv[3:]
    return name, argv[1:]


CHECKS: dict[str, Callable[[Sequence[str], Path], str | None]] = {
    "git": _git,
    "pytest": _pytest,
    "py.test": _pytest,
    "ruff": _ruff,
    "pip": _pip,
    "pip3": _pip,
}


def refused_option(argv: Sequence[str], root: Path) -> str | None:
    """The first option of `argv` that runs or writes elsewhere, or None."""
    program = _program(argv)
    if program is None:
        return None
    name, args = program
    check = CHECKS.get(name)
    return check(args, root) if check else None
