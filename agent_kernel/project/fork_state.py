"""What a forked child must not share with its siblings: the random state seeded at import.

A warm server imports the stack once and forks a child per run; every child then starts
from the same state of `random`, of Faker's shared generator (seeded when Faker is first
imported, as its pytest plugin is in the server) and of NumPy's legacy global `RandomState`.
Two runs would draw the same e-mail, the same token, the same sample; two separate processes
would not. `reseed()` gives each child seeds of its own from the OS.

The standard library only: the warm pytest server and the app host load it by path in a
project's own interpreter.
"""

from __future__ import annotations

import contextlib
import random
import sys


def reseed() -> None:
    """Seed, from the OS, what seeded itself once in the parent process."""
    random.seed()
    faker_generator = sys.modules.get("faker.generator")
    if faker_generator is not None:
        with contextlib.suppress(Exception):
            faker_generator.random.seed()
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        with contextlib.suppress(Exception):
            numpy_random.seed()
