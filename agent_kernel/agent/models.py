"""Model aliases and prices.

`sonnet`, `opus` and `haiku` resolve to the newest id of that family that the pinned SDK
lists and does not flag as deprecated, so an upgrade of the SDK moves the aliases with it.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, get_args

ALIASES = ("sonnet", "opus", "haiku")


class UnknownModelError(ValueError):
    """The agent definition or the command line named a model we cannot resolve."""


def _sdk_source(relative: str) -> Any:
    """The parsed source of a module of the installed SDK, found without importing it.

    `import anthropic` takes over a second; a command that refuses a model must not wait for
    it. None when the SDK's files are not where a normal install puts them.
    """
    spec = importlib.util.find_spec("anthropic")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    try:
        return ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None


def _string_constants(tree: Any, name: str) -> list[str] | None:
    """The string literals assigned to `name` in a module, in order (dict keys for a dict)."""
    for node in ast.walk(tree) if tree is not None else ():
        target = getattr(node, "target", None) or next(iter(getattr(node, "targets", [])), None)
        if isinstance(node, ast.Assign | ast.AnnAssign) and getattr(target, "id", None) == name:
            value = node.value.keys if isinstance(node.value, ast.Dict) else [node.value]
            found = [
                leaf.value
                for part in value
                for leaf in ast.walk(part)
                if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str)
            ]
            return found or None
    return None


@lru_cache
def sdk_model_ids() -> tuple[str, ...]:
    """The model ids the installed SDK knows, newest first (the SDK's own order)."""
    ids = _string_constants(_sdk_source("types/model.py"), "Model")
    if ids:
        return tuple(ids)
    from anthropic.types import Model  # the SDK laid out otherwise: ask it

    literal = next(arg for arg in get_args(Model) if get_args(arg))
    return tuple(get_args(literal))


@lru_cache
def deprecated_model_ids() -> frozenset[str]:
    ids = _string_constants(_sdk_source("_data/deprecated_models.py"), "DEPRECATED_MODELS")
    if ids is not None:
        return frozenset(ids)
    from anthropic._data import DEPRECATED_MODELS

    return frozenset(DEPRECATED_MODELS)


def resolve_model(name: str) -> str:
    """An alias to a current id of the pinned SDK; a full id is taken as is."""
    name = name.strip()
    if name not in ALIASES:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:@/-]*", name):
            raise UnknownModelError(f"not a model id: {name!r}")
        return name
    deprecated = deprecated_model_ids()
    for model_id in sdk_model_ids():
        if model_id.startswith(f"claude-{name}-") and model_id not in deprecated:
            if re.search(r"-\d{8}$", model_id):
                continue  # prefer the undated alias id
            return model_id
    raise UnknownModelError(f"the installed anthropic SDK lists no current '{name}' model")


def check_model(name: str, *, gateway: bool) -> tuple[str, str]:
    """(the id to use, a warning or ""): a known id or alias as is, an unknown one refused.

    Known means an alias, an id the pinned SDK lists, or an id the price table has a price
    for. Behind a gateway (`ANTHROPIC_BASE_URL`) model names may differ, so an unknown one is
    accepted with a warning, and its cost shows as unknown.
    """
    model = resolve_model(name)
    if model in sdk_model_ids() or price_for(model) is not None:
        return model, ""
    if gateway:
        return model, (
            f"model {model!r} is not one the installed anthropic SDK knows; using it as is "
            "for the gateway at ANTHROPIC_BASE_URL (its cost shows as unknown)"
        )
    raise UnknownModelError(
        f"unknown model {model!r}: use an alias ({', '.join(ALIASES)}) or an id the installed "
        f"anthropic SDK lists (e.g. {', '.join(sdk_model_ids()[:3])}); names of other "
        "gateways are accepted when ANTHROPIC_BASE_URL points at one"
    )


@dataclass(frozen=True)
class Price:
    """US dollars per million tokens."""

    input: float
    output: float
    cache_write: float
    cache_read: float


def _price(input_: float, output: float) -> Price:
    # Anthropic's published multipliers: 5-minute cache writes 1.25x, cache reads 0.1x.
    return Price(input_, output, input_ * 1.25, input_ * 0.1)


# List prices by family and generation; a model id matches its longest prefix.
PRICE_TABLE: dict[str, Price] = {
    "claude-opus-4-0": _price(15.0, 75.0),
    "claude-opus-4-1": _price(15.0, 75.0),
    "claude-opus-4": _price(5.0, 25.0),
    "claude-opus": _price(5.0, 25.0),
    "claude-sonnet": _price(3.0, 15.0),
    "claude-haiku-3": _price(0.8, 4.0),
    "claude-haiku": _price(1.0, 5.0),
    "claude-fable": _price(3.0, 15.0),
    "claude-mythos": _price(15.0, 75.0),
}


def price_for(model: str) -> Price | None:
    """The list price of a model id by its longest known prefix; None when it has none."""
    matches = [prefix for prefix in PRICE_TABLE if model.startswith(prefix)]
    return PRICE_TABLE[max(matches, key=len)] if matches else None
