"""Starting sandboxed processes: a program under bubblewrap, or a fork that enters by itself.

`launched(policy)` opens what a sandboxed process needs for as long as it runs (the endpoint
forwarder), and gives either the argv that starts a program in the sandbox (`command`) or the
plain-data description a forked child enters (`fork_spec`, sent to the warm pytest server).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .bwrap import bwrap_args, find_bwrap
from .network import Forwarder
from .policy import NET_DIR, Policy

NETWORK_SCRIPT = str(Path(__file__).with_name("network.py"))


class Launch:
    """One sandboxed process's way in, valid inside `launched(...)`."""

    def __init__(self, policy: Policy, net_dir: str | None) -> None:
        self.policy = policy
        self.net_dir = net_dir

    @property
    def env(self) -> dict[str, str]:
        return dict(self.policy.env)

    @property
    def ports(self) -> list[int]:
        return sorted({endpoint.port for endpoint in self.policy.endpoints})

    def command(self, argv: Sequence[str], *, cwd: str) -> list[str]:
        """bubblewrap's argv for `argv` run in the sandbox (relaying endpoints meanwhile)."""
        args = [str(find_bwrap()), *bwrap_args(self.policy.layout(self.net_dir), cwd=cwd)]
        args.append("--clearenv")  # the environment inside is the policy's, whoever starts it
        for name, value in sorted(self.policy.env.items()):
            args += ["--setenv", name, value]
        if self.net_dir is not None:
            ports = [str(port) for port in self.ports]
            args += [sys.executable, "-I", NETWORK_SCRIPT, NET_DIR, *ports, "--"]
        return [*args, *argv]

    def fork_spec(self, *, cwd: str) -> dict[str, Any]:
        """What a forked child needs to enter the same sandbox itself (`namespaces.enter`)."""
        find_bwrap()  # the same refusal where no sandbox can start, before anything forks
        steps = [asdict(step) for step in self.policy.layout(self.net_dir)]
        ports = self.ports if self.net_dir else []
        return {"steps": steps, "cwd": cwd, "ports": ports, "net_dir": NET_DIR}


@contextlib.contextmanager
def launched(policy: Policy) -> Iterator[Launch]:
    endpoints = [(e.host, e.port) for e in policy.endpoints]
    forwarder = Forwarder(endpoints) if endpoints else None
    try:
        yield Launch(policy, forwarder.folder if forwarder else None)
    finally:
        if forwarder is not None:
            forwarder.close()
