"""The shared pieces: interleaving, medians, the machine description."""

from __future__ import annotations

import math

from benchmarks.common import (
    BenchResult,
    interleaved,
    machine_info,
    median,
    offline_env,
    ratio,
    seconds,
)


def test_interleaved_rotates_the_order_each_round():
    calls: list[str] = []

    def run(name):
        def go():
            calls.append(name)
            return float(len(calls))

        return go

    times = interleaved({"a": run("a"), "b": run("b"), "c": run("c")}, 3)

    assert calls == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert {name: len(values) for name, values in times.items()} == {"a": 3, "b": 3, "c": 3}
    assert times["a"] == [1.0, 6.0, 8.0]


def test_median_ratio_and_seconds_format():
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert math.isnan(median([]))
    assert ratio(3.0, 2.0) == 1.5
    assert math.isnan(ratio(1.0, 0.0))
    assert seconds(0.0042) == "4.20 ms"
    assert seconds(0.25) == "250 ms"
    assert seconds(12.345) == "12.35 s"
    assert seconds(float("nan")) == "n/a"


def test_machine_info_names_cores_cpu_python_packages_and_load():
    info = machine_info()

    assert info["cores"] >= 1
    assert info["cpu"] and info["python"].count(".") == 2
    assert info["packages"]["anthropic"] != "not installed"
    assert info["packages"]["fastapi"] != "not installed"
    assert len(info["load_average"].split(" / ")) == 3


def test_offline_env_has_no_anthropic_variables_and_forces_replay(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://example.invalid")
    monkeypatch.setenv("WORKBENCH_SUPPRESS_EDITS", "1")

    env = offline_env(WORKBENCH_HISTORY="/tmp/h")

    assert not [key for key in env if key.startswith("ANTHROPIC_")]
    assert "WORKBENCH_SUPPRESS_EDITS" not in env
    assert env["CI"] == "true" and env["WORKBENCH_MODE"] == "replay"
    assert env["WORKBENCH_HISTORY"] == "/tmp/h"


def test_a_result_is_plain_data():
    result = BenchResult("k", "Title", "target", "headline", "met", ["a"], [["1"]], ["n"])

    assert result.to_dict()["rows"] == [["1"]]
