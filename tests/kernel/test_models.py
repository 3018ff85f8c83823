"""Model aliases resolve to current ids of the pinned SDK; full ids are taken as is."""

from __future__ import annotations

from typing import get_args

import pytest
from anthropic._data import DEPRECATED_MODELS
from anthropic.types import Model

from agent_kernel.agent.models import (
    UnknownModelError,
    check_model,
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


def test_an_unknown_model_has_no_price_and_costs_unknown():
    from agent_kernel.agent.usage import Usage, spend_text

    assert price_for("someone-elses-model") is None
    assert Usage(input_tokens=1000, output_tokens=100).cost_usd("someone-elses-model") == 0.0
    text = spend_text(1000, 100, 0.0, model="gpt-9", source="live")
    assert "cost unknown" in text and "$" not in text and "gpt-9" in text


def test_known_models_and_aliases_pass_the_check_as_they_are():
    assert check_model("sonnet", gateway=False) == (resolve_model("sonnet"), "")
    newest = sdk_model_ids()[0]
    assert check_model(newest, gateway=False) == (newest, "")
    assert check_model("claude-opus-4-1-20250805", gateway=False)[1] == ""


def test_an_unknown_model_is_refused_with_the_aliases_against_the_default_endpoint():
    with pytest.raises(UnknownModelError, match="unknown model 'gpt-9'") as info:
        check_model("gpt-9", gateway=False)
    assert "sonnet, opus, haiku" in str(info.value)
    assert "ANTHROPIC_BASE_URL" in str(info.value)


def test_an_unknown_model_is_accepted_with_a_warning_behind_a_gateway():
    model, warning = check_model("gpt-9", gateway=True)
    assert model == "gpt-9"
    assert "gateway" in warning and "cost shows as unknown" in warning


def test_scripted_numbers_are_marked_as_estimates():
    from agent_kernel.agent.usage import spend_text

    scripted = spend_text(25_800, 1_152, 0.0501, model="claude-sonnet-4-6", source="scripted")
    assert scripted.startswith("25,800 in / 1,152 out tokens · $0.0501")
    assert "estimates" in scripted and "scripted session" in scripted
    recorded = spend_text(25_800, 1_152, 0.0501, model="claude-sonnet-4-6", source="recorded")
    assert recorded == "25,800 in / 1,152 out tokens · $0.0501"
