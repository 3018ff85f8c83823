"""Statistics for repeated samples: unbiased pass@k, intervals, paired comparisons.

Written out here (a few lines each) rather than pulling in scipy: the Wilson score interval
for one rate, Newcombe's hybrid score interval for the difference of two rates, a seeded
percentile bootstrap over tasks for suite-level means (samples of one task are not
independent of each other, tasks are), and for pass@k at every k one method
(`pass_at_k_interval`): tasks resampled, and each task's pass rate drawn from its Beta
posterior, so that a few identical samples never make a zero-width interval.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054
BOOTSTRAP_ROUNDS = 2000
BOOTSTRAP_SEED = 20211


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chen et al. (2021): the chance that at least one of k of the n samples passes.

    1 - C(n-c, k) / C(n, k), computed as a product so that it never overflows.
    """
    if not 0 <= c <= n or k < 1 or k > n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


@dataclass(frozen=True)
class Interval:
    """A point estimate and its 95% interval."""

    value: float
    low: float
    high: float

    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def to_dict(self) -> dict[str, float]:
        return {
            "value": round(self.value, 4),
            "low": round(self.low, 4),
            "high": round(self.high, 4),
        }


def wilson(successes: int, trials: int, z: float = Z95) -> Interval:
    """Wilson score interval for a proportion; (0, 0, 1) when there are no trials."""
    if trials <= 0:
        return Interval(0.0, 0.0, 1.0)
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def newcombe_difference(a: tuple[int, int], b: tuple[int, int], z: float = Z95) -> Interval:
    """Difference of two independent rates a - b (successes, trials), Newcombe's method 10."""
    wa, wb = wilson(*a, z=z), wilson(*b, z=z)
    d = wa.value - wb.value
    low = d - math.sqrt((wa.value - wa.low) ** 2 + (wb.high - wb.value) ** 2)
    high = d + math.sqrt((wa.high - wa.value) ** 2 + (wb.value - wb.low) ** 2)
    return Interval(d, max(-1.0, low), min(1.0, high))


def bootstrap_mean(
    values: Sequence[float], rounds: int = BOOTSTRAP_ROUNDS, seed: int = BOOTSTRAP_SEED
) -> Interval:
    """Mean of per-task values with a percentile bootstrap over tasks (seeded: reproducible)."""
    if not values:
        return Interval(0.0, 0.0, 1.0)
    mean = sum(values) / len(values)
    if len(values) == 1:
        return Interval(mean, mean, mean)
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(rounds))
    low = means[int(0.025 * (rounds - 1))]
    high = means[math.ceil(0.975 * (rounds - 1))]
    return Interval(mean, min(low, mean), max(high, mean))


def nested_bootstrap_pass_at_k(
    tallies: Sequence[tuple[int, int]],
    k: int,
    rounds: int = BOOTSTRAP_ROUNDS,
    seed: int = BOOTSTRAP_SEED,
) -> Interval:
    """Mean pass@k over tasks given (samples, passes) per task, with a two-level bootstrap.

    Each round resamples the tasks, then each chosen task's samples (as draws from its
    observed pass rate), so both the choice of tasks and the luck of the samples show in
    the interval. Tasks with fewer than k samples are left out.
    """
    rows = [(n, c) for n, c in tallies if n >= k]
    if not rows:
        return Interval(0.0, 0.0, 1.0)
    mean = sum(pass_at_k(n, c, k) for n, c in rows) / len(rows)
    rng = random.Random(seed)
    means = []
    for _ in range(rounds):
        total = 0.0
        for n, c in rng.choices(rows, k=len(rows)):
            drawn = sum(rng.random() < c / n for _ in range(n))
            total += pass_at_k(n, drawn, k)
        means.append(total / len(rows))
    means.sort()
    low = means[int(0.025 * (rounds - 1))]
    high = means[math.ceil(0.975 * (rounds - 1))]
    return Interval(mean, min(low, mean), max(high, mean))


def pass_at_k_interval(
    tallies: Sequence[tuple[int, int]],
    k: int,
    rounds: int = BOOTSTRAP_ROUNDS,
    seed: int = BOOTSTRAP_SEED,
) -> Interval:
    """Mean pass@k over tasks given (samples, passes) per task, with its 95% interval.

    The point is Chen et al.'s unbiased estimate averaged over the tasks with at least k
    samples. The interval is the same method for every k: each round resamples the tasks,
    then draws each chosen task's pass rate p from Beta(c + 1, n - c + 1) (its posterior
    under a uniform prior) and takes 1 - (1 - p)^k, the pass@k that rate implies. For one
    task with 3 passes out of 3 this gives pass@1 [44%-100%] and pass@3 [82%-100%]: the
    interval stays as wide as three samples deserve, whatever k.
    """
    rows = [(n, c) for n, c in tallies if n >= k]
    if not rows:
        return Interval(0.0, 0.0, 1.0)
    mean = sum(pass_at_k(n, c, k) for n, c in rows) / len(rows)
    rng = random.Random(seed)
    means = []
    for _ in range(rounds):
        total = 0.0
        for n, c in rng.choices(rows, k=len(rows)):
            p = rng.betavariate(c + 1, n - c + 1)
            total += 1.0 - (1.0 - p) ** k
        means.append(total / len(rows))
    means.sort()
    low = means[int(0.025 * (rounds - 1))]
    high = means[math.ceil(0.975 * (rounds - 1))]
    return Interval(mean, min(low, mean), max(high, mean))


INTERVAL_METHOD = (
    "95% intervals, one method for every k: tasks resampled, each task's pass rate drawn "
    "from its Beta posterior"
)
FEW_TASKS = 5


def significance(interval: Interval) -> str:
    """'significant' when the 95% interval of a difference leaves out zero."""
    return "significant" if interval.excludes_zero() else "not significant"
