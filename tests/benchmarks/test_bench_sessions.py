"""The session benchmark's measure: the share of a request the previous one let the cache hold."""

from __future__ import annotations

from benchmarks.bench_sessions import cached_share

CC = {"type": "ephemeral"}


def request(*messages: dict) -> dict:
    return {
        "tools": [{"name": "t", "cache_control": CC}],
        "system": [{"type": "text", "text": "s" * 50, "cache_control": CC}],
        "messages": list(messages),
    }


def test_a_follow_up_reads_everything_up_to_the_previous_breakpoint():
    first = request(
        {"role": "user", "content": [{"type": "text", "text": "a", "cache_control": CC}]}
    )
    second = request(
        {"role": "user", "content": [{"type": "text", "text": "a"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "b" * 10}]},
        {"role": "user", "content": [{"type": "text", "text": "c", "cache_control": CC}]},
    )
    share = cached_share(first, second)
    assert 0.5 < share < 1.0


def test_a_changed_system_prompt_caches_only_the_tools():
    first = request({"role": "user", "content": "a"})
    changed = {
        **request({"role": "user", "content": "a"}),
        "system": [{"type": "text", "text": "x"}],
    }
    assert cached_share(first, changed) < 0.3
    assert cached_share(first, first) > 0.7  # all but the unmarked last message
