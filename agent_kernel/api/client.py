"""The client factory: one `anthropic.Anthropic` client for every mode.

Live and record talk to the Messages API (or any compatible endpoint in
`ANTHROPIC_BASE_URL`); replay answers from a cassette through an `httpx2` transport, so all
modes share the SDK's parsing, streaming, retries and errors.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..settings import MODES, WorkbenchSettings, get_settings
from .cassette import Cassette, CassetteError, load_cassette

if TYPE_CHECKING:
    import anthropic

    from .replay import ReplayTransport

REPLAY_BASE_URL = "http://replay.workbench.invalid"


class ModeError(ValueError):
    """A mode that cannot run as asked: unknown, no key for live, no cassette for replay."""


@dataclass
class ClientHandle:
    """The SDK client plus what a run must know and say about where answers come from."""

    client: anthropic.Anthropic
    mode: str
    requested_mode: str
    cassette: Cassette | None = None
    replay: ReplayTransport | None = None
    recorder: Any = None
    notice: str = ""

    @property
    def source(self) -> str:
        """live, recorded or scripted: what the answers shown in this run really are."""
        if self.mode == "replay" and self.cassette is not None:
            return self.cassette.source
        return "live"

    @property
    def label(self) -> str:
        if self.mode == "replay" and self.cassette is not None:
            return f"replay of a {self.cassette.describe()}"
        if self.mode == "record":
            return "live (recording to a cassette)"
        return "live"


def choose_mode(requested: str | None, settings: WorkbenchSettings) -> tuple[str, str]:
    """The mode to run in and a sentence saying why (auto picks, CI forces replay)."""
    mode = (requested or settings.mode or "auto").strip().lower()
    if mode not in MODES:
        raise ModeError(f"unknown mode {mode!r}: choose one of {', '.join(MODES)}")
    if mode != "auto":
        return mode, ""
    if settings.ci:
        return "replay", "CI: running offline from the cassette (auto mode never goes live in CI)."
    if settings.api_key:
        return "live", "ANTHROPIC_API_KEY found: running live against the Messages API."
    return "replay", (
        "No ANTHROPIC_API_KEY: running offline from the cassette. To go live, set "
        "ANTHROPIC_API_KEY (in the environment or .env) and run again."
    )


CASSETTE_DIR = Path(__file__).resolve().parents[2] / "notebooks" / "cassettes"


def offline_hint() -> str:
    """Where to go offline with no cassette of one's own: the demo and the lessons' sessions."""
    folder = CASSETTE_DIR
    with contextlib.suppress(ValueError):
        folder = folder.relative_to(Path.cwd())
    return (
        "offline, `workbench demo` replays the tour's scripted session, and the lessons' "
        f"sessions are in {folder}/ (e.g. --cassette {folder / '01_rest_design.yaml'})"
    )


def check_mode_inputs(
    chosen: str, cassette: Path | str | None, settings: WorkbenchSettings
) -> Cassette | None:
    """What `chosen` needs, checked without the SDK: the cassette (loaded) or the key."""
    if chosen == "replay":
        if cassette is None:
            raise ModeError(
                "replay needs a cassette (--cassette FILE), and there is no ANTHROPIC_API_KEY "
                f"to run live; {offline_hint()}"
            )
        return load_cassette(cassette)
    if not settings.api_key:
        raise ModeError(
            f"{chosen} mode needs ANTHROPIC_API_KEY: set it in the environment or in .env "
            "(ANTHROPIC_BASE_URL may point at any Anthropic-compatible endpoint), "
            f"or use --mode replay with a cassette; {offline_hint()}"
        )
    if chosen == "record" and cassette is None:
        raise ModeError("record mode needs --cassette FILE to write the session to")
    return None


def make_client(
    mode: str | None = None,
    *,
    cassette: Path | str | None = None,
    model: str | None = None,
    settings: WorkbenchSettings | None = None,
) -> ClientHandle:
    settings = settings or get_settings()
    chosen, notice = choose_mode(mode, settings)
    requested = (mode or settings.mode or "auto").lower()
    # Everything that can refuse is checked before the SDK is imported (over a second).
    loaded = check_mode_inputs(chosen, cassette, settings)
    import anthropic
    import httpx2

    if chosen == "replay":
        from .replay import ReplayTransport

        transport = ReplayTransport(loaded)
        client = anthropic.Anthropic(
            api_key="replay-without-key",
            base_url=REPLAY_BASE_URL,
            http_client=httpx2.Client(transport=transport),
            max_retries=settings.max_retries,
        )
        return ClientHandle(client, "replay", requested, loaded, transport, notice=notice)

    kwargs: dict[str, Any] = {
        "api_key": settings.api_key,
        "max_retries": settings.max_retries,
        "timeout": settings.request_timeout,
    }
    if settings.anthropic_base_url:
        kwargs["base_url"] = settings.anthropic_base_url
    if chosen == "record":
        from .recorder import RecordingTransport

        recorder = RecordingTransport(httpx2.HTTPTransport(), Path(cassette), model or "")
        kwargs["http_client"] = httpx2.Client(transport=recorder, timeout=settings.request_timeout)
        client = anthropic.Anthropic(**kwargs)
        return ClientHandle(client, "record", requested, recorder=recorder, notice=notice)
    return ClientHandle(anthropic.Anthropic(**kwargs), "live", requested, notice=notice)


__all__ = [
    "CassetteError",
    "ClientHandle",
    "ModeError",
    "check_mode_inputs",
    "choose_mode",
    "make_client",
]
