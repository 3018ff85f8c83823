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
        price = price_for(model)
        return (
            self.input_tokens * price.input
            + self.output_tokens * price.output
            + self.cache_read_tokens * price.cache_read
            + self.cache_write_tokens * price.cache_write
        ) / 1_000_000

    def to_dict(self) -> dict[str, int]:
        return asdict(self)
