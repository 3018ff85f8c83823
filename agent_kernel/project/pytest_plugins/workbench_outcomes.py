"""A pytest plugin loaded into workspace test runs: every test's outcome, by node id.

It lets one pytest run answer for many acceptance checks. The outcome of a test is its
worst phase (a failing setup or teardown fails the test; a skip is recorded as a skip).
"""

import json
import os

_RANK = {"passed": 0, "skipped": 1, "failed": 2}
_outcomes: dict[str, str] = {}


def pytest_runtest_logreport(report):
    if report.when != "call" and report.outcome == "passed":
        _outcomes.setdefault(report.nodeid, "passed")
        return
    previous = _outcomes.get(report.nodeid, "passed")
    if _RANK[report.outcome] >= _RANK[previous]:
        _outcomes[report.nodeid] = report.outcome


def pytest_collectreport(report):
    if report.failed:
        _outcomes[report.nodeid or "<collection>"] = "failed"


def pytest_sessionfinish(session):
    path = os.environ.get("WORKBENCH_OUTCOMES_FILE")
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(_outcomes, handle)
