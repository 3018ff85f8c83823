"""The workbench kernel's launcher: ipykernel's, less one warning that does not apply here.

ipykernel warns on every start over TCP that the traffic is not encrypted. papermill and
JupyterLab start kernels over TCP on 127.0.0.1, where only this machine's own users could
listen, and the messages are signed with the connection's key all the same: the warning
then only pushes the lesson's output (and `make lab`'s first screen) down. It still shows
for a kernel reachable from elsewhere (any address that is not loopback).

The workbench's kernelspec starts `python -m agent_kernel.notebook.kernel_launch`.
"""

from __future__ import annotations

import ipaddress
import logging

TCP_WARNING = "Kernel is running over TCP without encryption"


class LoopbackTcpWarning(logging.Filter):
    """Drops the unencrypted-TCP warning of a kernel that listens on loopback only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if TCP_WARNING not in record.getMessage():
            return True
        from ipykernel.kernelapp import IPKernelApp

        ip = IPKernelApp.instance().ip if IPKernelApp.initialized() else ""
        return not is_loopback(ip)


def is_loopback(ip: str) -> bool:
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def main() -> None:
    from ipykernel import kernelapp

    logging.getLogger(kernelapp.IPKernelApp.__name__).addFilter(LoopbackTcpWarning())
    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
