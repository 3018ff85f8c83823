"""Modes: auto picks live or replay and says why, CI forces replay, live needs a key, replay
needs a cassette; WORKBENCH_MODE and `.env` are honoured."""

from __future__ import annotations

import pytest

from agent_kernel.api.client import REPLAY_BASE_URL, ModeError, choose_mode, make_client
from agent_kernel.settings import WorkbenchSettings, reload_settings


@pytest.fixture
def cassette(script, kit):
    return script(kit.ping_turns())


def test_auto_without_a_key_replays_and_says_how_to_go_live(cassette):
    handle = make_client("auto", cassette=cassette)

    assert handle.mode == "replay" and handle.requested_mode == "auto"
    assert handle.replay is not None and handle.cassette is not None
    assert "No ANTHROPIC_API_KEY" in handle.notice
    assert "To go live, set ANTHROPIC_API_KEY" in handle.notice
    assert str(handle.client.base_url).startswith(REPLAY_BASE_URL)


def test_auto_with_a_key_goes_live(monkeypatch, kit):
    monkeypatch.setenv("ANTHROPIC_API_KEY", kit.canary())
    reload_settings()
    handle = make_client("auto")

    assert handle.mode == "live" and handle.replay is None
    assert "ANTHROPIC_API_KEY found" in handle.notice
    assert handle.label == "live" and handle.source == "live"


@pytest.mark.parametrize("ci", ["true", "1", "yes"])
def test_auto_in_ci_replays_even_with_a_key(monkeypatch, cassette, kit, ci):
    monkeypatch.setenv("ANTHROPIC_API_KEY", kit.canary())
    monkeypatch.setenv("CI", ci)
    reload_settings()
    handle = make_client("auto", cassette=cassette)

    assert handle.mode == "replay"
    assert handle.notice.startswith("CI:")


@pytest.mark.parametrize("value", ["", "0", "false", "woodpecker", "no"])
def test_odd_ci_values_never_crash_settings(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    assert reload_settings().ci is False


def test_a_ci_flag_goes_true_for_common_spellings(monkeypatch):
    for value in ("1", "true", "TRUE", "yes", "on", " On "):
        monkeypatch.setenv("CI", value)
        assert reload_settings().ci is True, value


@pytest.mark.parametrize("mode", ["live", "record"])
def test_live_and_record_without_a_key_are_a_clear_error(mode, cassette):
    with pytest.raises(ModeError) as caught:
        make_client(mode, cassette=cassette)
    message = str(caught.value)
    assert f"{mode} mode needs ANTHROPIC_API_KEY" in message
    assert ".env" in message and "--mode replay" in message


def test_a_blank_key_counts_as_no_key(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "   ")
    reload_settings()
    with pytest.raises(ModeError, match="needs ANTHROPIC_API_KEY"):
        make_client("live")


def test_replay_without_a_cassette_is_a_clear_error():
    with pytest.raises(ModeError, match=r"replay needs a cassette \(--cassette FILE\)"):
        make_client("replay")


def test_auto_without_key_or_cassette_is_a_clear_error():
    with pytest.raises(ModeError, match="replay needs a cassette"):
        make_client("auto")


def test_record_without_a_cassette_is_a_clear_error(monkeypatch, kit):
    monkeypatch.setenv("ANTHROPIC_API_KEY", kit.canary())
    reload_settings()
    with pytest.raises(ModeError, match="record mode needs --cassette FILE"):
        make_client("record")


@pytest.mark.parametrize("mode", ["turbo", "Replay-ish", ""])
def test_an_unknown_mode_is_a_clear_error(mode, cassette):
    if mode == "":
        # An empty mode means "the default": auto, which replays here.
        assert make_client(mode, cassette=cassette).mode == "replay"
        return
    with pytest.raises(ModeError, match=r"unknown mode .*: choose one of live, record, replay"):
        make_client(mode, cassette=cassette)


def test_a_mode_is_case_insensitive(cassette):
    assert make_client("REPLAY", cassette=cassette).mode == "replay"


def test_workbench_mode_sets_the_default(monkeypatch, cassette, kit):
    monkeypatch.setenv("WORKBENCH_MODE", "live")
    monkeypatch.setenv("ANTHROPIC_API_KEY", kit.canary())
    reload_settings()
    assert make_client(None).mode == "live"
    assert make_client("replay", cassette=cassette).mode == "replay"  # an explicit mode wins

    monkeypatch.setenv("WORKBENCH_MODE", "replay")
    reload_settings()
    handle = make_client(None, cassette=cassette)
    assert handle.mode == "replay" and handle.notice == ""


def test_an_unknown_workbench_mode_is_a_mode_error(monkeypatch, cassette):
    monkeypatch.setenv("WORKBENCH_MODE", "sometimes")
    reload_settings()
    with pytest.raises(ModeError, match="unknown mode 'sometimes'"):
        make_client(None, cassette=cassette)


def test_dotenv_is_honoured(tmp_path, monkeypatch, kit):
    key = kit.canary()
    (tmp_path / "cwd" / ".env").write_text(
        f"ANTHROPIC_API_KEY={key}\n"
        "ANTHROPIC_BASE_URL=http://127.0.0.1:9/gateway\n"
        "WORKBENCH_MODE=live\n"
        "WORKBENCH_MAX_RETRIES=4\n",
        encoding="utf-8",
    )
    settings = reload_settings()
    assert settings.api_key == key

    handle = make_client(None)

    assert handle.mode == "live"
    assert handle.client.api_key == key
    assert str(handle.client.base_url).startswith("http://127.0.0.1:9/gateway")
    assert handle.client.max_retries == 4


def test_the_environment_wins_over_dotenv(tmp_path, monkeypatch):
    (tmp_path / "cwd" / ".env").write_text("WORKBENCH_MODE=live\n", encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_MODE", "replay")
    assert reload_settings().mode == "replay"


def test_base_url_is_honoured_in_live_mode(monkeypatch, kit):
    monkeypatch.setenv("ANTHROPIC_API_KEY", kit.canary())
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    reload_settings()
    handle = make_client("live")
    assert str(handle.client.base_url).rstrip("/") == "http://127.0.0.1:9"


def test_the_key_never_shows_in_settings_repr(monkeypatch, kit):
    key = kit.canary()
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    settings = reload_settings()
    assert key not in repr(settings) and key not in str(settings.model_dump())


def test_choose_mode_reasons():
    settings = WorkbenchSettings()
    assert choose_mode("live", settings) == ("live", "")
    assert choose_mode("replay", settings) == ("replay", "")
    assert choose_mode("auto", settings)[0] == "replay"


def test_replay_and_record_labels(cassette, monkeypatch, kit, tmp_path):
    replay = make_client("replay", cassette=cassette)
    assert replay.source == "scripted"
    assert replay.label.startswith("replay of a scripted session")

    monkeypatch.setenv("ANTHROPIC_API_KEY", kit.canary())
    reload_settings()
    record = make_client("record", cassette=tmp_path / "new.yaml")
    assert record.mode == "record" and record.recorder is not None
    assert record.label == "live (recording to a cassette)"
    assert record.source == "live"


def test_a_bad_setting_is_a_settings_error_naming_it(monkeypatch):
    from agent_kernel.settings import SettingsError, get_settings

    monkeypatch.setenv("WORKBENCH_REQUEST_TIMEOUT", "soon")
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match=r"^invalid setting \(WORKBENCH_REQUEST_TIMEOUT: "):
        make_client("replay")


def test_the_repo_dotenv_is_read_from_any_working_directory(tmp_path, monkeypatch):
    """A notebook runs in notebooks/, yet the key in the repo's .env must reach it."""
    from agent_kernel import settings

    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / ".env").write_text("WORKBENCH_MODE=replay\n", encoding="utf-8")
    (tmp_path / "repo" / "notebooks").mkdir()
    monkeypatch.setattr(settings, "REPO_ROOT", tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo" / "notebooks")
    monkeypatch.setenv("WORKBENCH_REPO_DOTENV", "1")
    assert settings.reload_settings().mode == "replay"
    monkeypatch.setenv("WORKBENCH_REPO_DOTENV", "0")
    assert settings.reload_settings().mode == "auto"
    settings.reload_settings()
