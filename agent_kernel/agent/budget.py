"""Budgets: a run stops cleanly, and says which limit it hit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Budget:
    max_turns: int = 40
    max_output_tokens: int | None = None
    max_cost_usd: float | None = None
    max_seconds: float | None = None

    def exceeded(self, *, turns: int, output_tokens: int, cost: float, elapsed: float) -> str:
        """The limit that was reached, as a sentence, or '' while within budget."""
        if turns >= self.max_turns:
            return f"turn limit reached ({turns} of {self.max_turns} turns)"
        if self.max_output_tokens is not None and output_tokens >= self.max_output_tokens:
            return f"output token limit reached ({output_tokens} of {self.max_output_tokens})"
        if self.max_cost_usd is not None and cost >= self.max_cost_usd:
            return f"cost limit reached (${cost:.4f} of ${self.max_cost_usd:.4f})"
        if self.max_seconds is not None and elapsed >= self.max_seconds:
            return f"wall-time limit reached ({elapsed:.1f} s of {self.max_seconds:.1f} s)"
        return ""
