"""pass@k, intervals and paired comparisons, against values worked out by hand."""

from __future__ import annotations

from math import comb

import pytest

from agent_kernel.evals.runner import TaskResult
from agent_kernel.evals.scoring import compare
from agent_kernel.evals.stats import (
    bootstrap_mean,
    nested_bootstrap_pass_at_k,
    newcombe_difference,
    pass_at_k,
    pass_at_k_interval,
    wilson,
)


@pytest.mark.parametrize(
    "n,c,k,expected",
    [
        (3, 1, 1, 1 / 3),
        (3, 1, 2, 2 / 3),  # 1 - C(2,2)/C(3,2) = 1 - 1/3
        (3, 1, 3, 1.0),
        (5, 2, 2, 1 - comb(3, 2) / comb(5, 2)),  # 1 - 3/10
        (10, 0, 5, 0.0),
        (10, 10, 1, 1.0),
    ],
)
def test_pass_at_k_is_chen_et_al_unbiased_estimator(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_pass_at_k_refuses_impossible_counts():
    with pytest.raises(ValueError, match="pass@k needs"):
        pass_at_k(3, 4, 1)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)


def test_wilson_interval_matches_the_textbook_values():
    zero = wilson(0, 10)
    assert (zero.low, round(zero.high, 4)) == (0.0, 0.2775)
    half = wilson(5, 10)
    assert (round(half.low, 4), round(half.high, 4)) == (0.2366, 0.7634)
    assert wilson(0, 0).to_dict() == {"value": 0.0, "low": 0.0, "high": 1.0}


def test_newcombe_difference_matches_newcombes_worked_example():
    # Newcombe (1998), method 10: 56/70 - 48/80 = 0.2000, 95% CI 0.0524 to 0.3339.
    d = newcombe_difference((56, 70), (48, 80))
    assert (round(d.value, 4), round(d.low, 4), round(d.high, 4)) == (0.2, 0.0524, 0.3339)
    assert d.excludes_zero()


def test_bootstraps_are_seeded_and_bracket_the_mean():
    values = [0.0, 1.0, 1.0, 0.5, 1.0, 0.0]
    first, again = bootstrap_mean(values), bootstrap_mean(values)
    assert first == again and first.low < first.value < first.high
    nested = nested_bootstrap_pass_at_k([(3, 1), (3, 3), (3, 0)], 2)
    assert nested.value == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert 0.0 <= nested.low < nested.value < nested.high <= 1.0


def test_pass_at_k_intervals_are_one_method_and_never_zero_width_on_few_samples():
    # Three identical passing samples of one task: not proof of 100%, at any k.
    one, two, three = (pass_at_k_interval([(3, 3)], k) for k in (1, 2, 3))
    assert one.value == two.value == three.value == 1.0
    assert 0.40 < one.low < 0.48  # close to Wilson's 44% for 3 of 3
    assert one.low < two.low < three.low < 1.0
    assert three.high == 1.0
    assert pass_at_k_interval([(3, 3)], 1) == pass_at_k_interval([(3, 3)], 1)  # seeded


def _runs(variant: str, task: str, passes: list[bool]) -> list[TaskResult]:
    runs = []
    for sample, passed in enumerate(passes, start=1):
        result = TaskResult(task, "rest", task, variant, sample=sample)
        result.passed = result.secure = passed
        runs.append(result)
    return runs


def test_a_clear_difference_is_significant_and_a_small_one_is_not():
    results = _runs("a", "t1", [True] * 10) + _runs("b", "t1", [False] * 10)
    results += _runs("a", "t2", [True, False] * 5) + _runs("b", "t2", [False, True] * 5)
    comparison = compare(results, "a", "b")
    by_task = {t.task_id: t for t in comparison.tasks}
    assert by_task["t1"].difference.value == 1.0 and by_task["t1"].verdict == "significant"
    assert by_task["t2"].difference.value == 0.0 and by_task["t2"].verdict == "not significant"
    assert comparison.overall.value == pytest.approx(0.5)
