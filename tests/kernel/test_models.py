"""Model aliases resolve to current ids of the pinned SDK; full ids are taken as is."""

from __future__ import annotations

from typing import get_args

import pytest
from anthropic._data import DEPRECATED_MODELS
from anthropic.types import Model

from agent_kernel.agent.models import (
    DEFAULT_PRICE,
    UnknownModelError,
    price_for,
    resolve_model,
    sdk_model_ids,
)


def sdk_literal_ids() -> set[str]:
    ids: set[str] = set()
    for arg in get_args(Model):
        ids.update(value for value in get_args(arg) if isinstance(value, str))
    return ids


@pytest.mark.parametrize("alias", ["sonnet", "opus", "haiku"])
def test_aliases_resolve_to_current_sdk_ids(alias):
    model = resolve_model(alias)

    assert model in sdk_literal_ids()
    assert model not in DEPRECATED_MODELS
    assert model.startswith(f"claude-{alias}-")


def test_alias_resolution_tolerates_spaces():
    assert resolve_model("  sonnet ") == resolve_model("sonnet")


def test_sdk_model_ids_are_the_sdks():
    assert set(sdk_model_ids()) == sdk_literal_ids()


@pytest.mark.parametrize(
    "model",
    ["claude-sonnet-4-5-20250929", "claude-opus-4-1", "my-gateway/claude-x", "custom-model"],
)
def test_a_full_id_is_taken_as_is(model):
    assert resolve_model(model) == model


@pytest.mark.parametrize("bad", ["", "two words", "claude;rm", "-leading-dash"])
def test_a_malformed_id_is_refused(bad):
    with pytest.raises(UnknownModelError, match="not a model id"):
        resolve_model(bad)


def test_an_alias_with_no_current_model_is_refused(monkeypatch):
    from agent_kernel.agent import models

    monkeypatch.setattr(models, "sdk_model_ids", lambda: ("claude-sonnet-4-5",))
    monkeypatch.setattr(models, "deprecated_model_ids", lambda: frozenset({"claude-sonnet-4-5"}))
    with pytest.raises(UnknownModelError, match="no current 'sonnet' model"):
        resolve_model("sonnet")


def test_every_alias_has_a_price():
    for alias in ("sonnet", "opus", "haiku"):
        price = price_for(resolve_model(alias))
        assert price.output > price.input > price.cache_read > 0
        assert price.cache_write == pytest.approx(price.input * 1.25)


def test_unknown_models_get_the_default_price():
    assert price_for("someone-elses-model") == DEFAULT_PRICE
