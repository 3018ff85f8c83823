"""Token usage of a run and what it cost."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .models import price_for


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_read_tokens += other.cache_read_tokens
        self.cache_write_tokens += other.cache_write_tokens

    @classmethod
    def from_api(cls, usage: Any) -> Usage:
        """From the SDK's `Usage` object (or its dict form)."""
        get = usage.get if isinstance(usage, dict) else lambda key: getattr(usage, key, None)
        return cls(
            input_tokens=get("input_tokens") or 0,
            output_tokens=get("output_tokens") or 0,
            cache_read_tokens=get("cache_read_input_tokens") or 0,
            cache_write_tokens=get("cache_creation_input_tokens") or 0,
        )

    def cost_usd(self, model: str) -> float:
        """The list-price cost; 0.0 for a model without a known price (shown as unknown)."""
        price = price_for(model)
        if price is None:
            return 0.0
        return (
            self.input_tokens * price.input
            + self.output_tokens * price.output
            + self.cache_read_tokens * price.cache_read
            + self.cache_write_tokens * price.cache_write
        ) / 1_000_000

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def spend_text(
    tokens_in: int, tokens_out: int, cost: float, *, model: str, source: str, detail: str = ""
) -> str:
    """Tokens and cost as a person should read them.

    A scripted session called no model: its numbers are what the authored turns would have
    cost, so they are marked as estimates. A model without a known price has no cost.
    """
    tokens = f"{tokens_in:,} in / {tokens_out:,} out tokens" + (f" ({detail})" if detail else "")
    money = f"${cost:.4f}" if price_for(model) is not None else "cost unknown"
    if source == "scripted":
        return f"{tokens} · {money} (estimates: a scripted session calls no model)"
    if price_for(model) is None:
        return f"{tokens} · {money} (no price for {model!r})"
    return f"{tokens} · {money}"
