"""The workbench's kernelspec: ipykernel's own, plus the workbench's kernel extensions.

`ipykernel install` has no place for extra kernel arguments, so the spec is written with
ipykernel's writer and installed with jupyter_client's manager into this environment
(`sys.prefix`), replacing an older one, under the workbench's own name: a user-level
`python3` kernelspec can never make the notebooks run elsewhere.

    python -m agent_kernel.notebook.kernelspec --name fastapi-workbench --display-name "..."
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from . import kernel_exit

DEFAULT_NAME = "fastapi-workbench"
EXTENSIONS = (kernel_exit.EXTENSION,)
# As `ipykernel install` does by default: the debugger cannot step into frozen modules.
PYTHON_ARGUMENTS = ("-Xfrozen_modules=off",)
LAUNCHER = "agent_kernel.notebook.kernel_launch"  # ipykernel's, less a warning (see there)


def kernel_arguments() -> list[str]:
    return [f"--ext={name}" for name in EXTENSIONS]


def install(
    name: str = DEFAULT_NAME, display_name: str | None = None, prefix: str = sys.prefix
) -> Path:
    """Write the spec and install it into this environment, replacing an older one."""
    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager

    with tempfile.TemporaryDirectory() as tmp:
        staged = write_kernel_spec(
            Path(tmp) / name,
            overrides={"display_name": display_name or name},
            extra_arguments=kernel_arguments(),
            python_arguments=list(PYTHON_ARGUMENTS),
        )
        spec = Path(staged) / "kernel.json"
        data = json.loads(spec.read_text(encoding="utf-8"))
        data["argv"] = [LAUNCHER if arg == "ipykernel_launcher" else arg for arg in data["argv"]]
        spec.write_text(json.dumps(data, indent=1), encoding="utf-8")
        installed = KernelSpecManager().install_kernel_spec(str(staged), name, prefix=prefix)
    return Path(installed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent_kernel.notebook.kernelspec")
    parser.add_argument("--name", default=DEFAULT_NAME)
    parser.add_argument("--display-name", default=None)
    args = parser.parse_args(argv)
    print(f"Installed kernelspec {args.name} in {install(args.name, args.display_name)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
