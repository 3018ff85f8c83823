"""Secret redaction: every secret shape is removed, ordinary code and prose stay verbatim."""

from __future__ import annotations

import json
import re
import secrets

import pytest

from agent_kernel.history.redaction import (
    REDACTED,
    clear_registered_secrets,
    is_secret_name,
    json_may_hold_secrets,
    redact,
    redact_obj,
    register_secret,
    secret_values,
)


@pytest.fixture(autouse=True)
def _no_registered_secrets():
    clear_registered_secrets()
    yield
    clear_registered_secrets()


def anthropic_key() -> str:
    return "sk-ant-" + "api03-" + secrets.token_urlsafe(60)


def test_anthropic_key_is_removed_whole():
    key = anthropic_key()
    out = redact(f"export KEY_USED={key} # note")
    assert key not in out
    assert "sk-ant" not in out
    assert out.endswith(" # note")


def test_generic_sk_token_long_only():
    token = "sk-" + "proj-" + "A1b2" * 8
    assert redact(f"token {token}.") == f"token {REDACTED}."
    assert redact("see sk-learn docs") == "see sk-learn docs"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer {s}", "abc123def456ghi789"),
        ("curl -H 'authorization: bearer {s}'", "tok_9f8e7d6c5b4a"),
        ("x-api-key: {s}", "abcd1234efgh5678"),
        ("GET /v1?api_key={s}&page=2", "q1w2e3r4t5y6"),
        ('{{"api_key": "{s}"}}', "hello-world-value"),
        ("{{'apiKey': '{s}'}}", "single-quoted-key"),
        ("ANTHROPIC_API_KEY={s}", "plainvalue12345"),
        ('SECRET_KEY: str = "{s}"', "change-me-in-production"),
        ("AWS_SECRET_ACCESS_KEY={s}", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLE"),
        ("client_secret: {s}", "Zx9Yw8Vu7Ts6"),
    ],
)
def test_key_value_pairs_and_headers(text, secret):
    out = redact(text.format(s=secret))
    assert secret not in out
    assert REDACTED in out


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("postgresql+psycopg://app:s3cr3t-pw@127.0.0.1:5432/app", "postgresql+psycopg://app:"),
        ("redis://:only-a-password@cache:6379/0", "@cache:6379/0"),
        ("mysql://root:p%40ss$$w0rd@10.0.0.1/db?ssl=true", "@10.0.0.1/db?ssl=true"),
        ("amqp://guest:rabbit-pw@rabbit//", "amqp://guest:"),
    ],
)
def test_password_in_a_url_is_removed_the_rest_kept(url, kept):
    out = redact(f"DATABASE_URL={url} failed")
    password = url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    assert password not in out
    assert f":{REDACTED}@" in out and kept in out and out.endswith(" failed")
    assert redact(out) == out


def test_aws_access_key_id():
    key_id = "AKIA" + "IOSFODNN7" + "EXAMPLE"
    assert redact(f"id={key_id} ok") == f"id={REDACTED} ok"


def test_jwt():
    jwt = (
        "eyJ"
        + "hbGciOiJIUzI1NiJ9"
        + ".eyJzdWIiOiJhbGljZSJ9"
        + ".dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    )
    out = redact(f"token={jwt}\nnext line")
    assert jwt not in out and "eyJ" not in out
    assert out.endswith("next line")


def test_pem_private_key_block():
    body = "MIIEowIBAAKCAQEA" + secrets.token_hex(40)
    pem = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    out = redact(f"before\n{pem}\nafter")
    assert out == f"before\n{REDACTED}\nafter"
    truncated = redact(f"-----BEGIN PRIVATE KEY-----\n{body}")
    assert body not in truncated


def test_environment_values_read_at_call_time(monkeypatch):
    value = secrets.token_hex(12)
    text = f"connecting with {value}"
    assert redact(text) == text
    monkeypatch.setenv("MY_SERVICE_TOKEN", value)
    assert redact(text) == f"connecting with {REDACTED}"
    for name in ("DB_PASSWORD", "app_secret", "GCP_CREDENTIALS", "SIGNING_KEY"):
        other = secrets.token_hex(10)
        monkeypatch.setenv(name, other)
        assert other not in redact(f"x {other} y"), name


def test_environment_short_or_unrelated_values_kept(monkeypatch):
    monkeypatch.setenv("SHORT_TOKEN", "abc1234")  # 7 characters: too common to redact
    monkeypatch.setenv("WORKBENCH_COLOUR", "ultraviolet-42")
    text = "abc1234 and ultraviolet-42"
    assert redact(text) == text


def test_registered_secret():
    value = "from-dotenv-" + secrets.token_hex(4)
    register_secret(value)
    assert redact(f"[{value}]") == f"[{REDACTED}]"
    register_secret("ab")  # too short to be meaningful: ignored
    assert redact("ab cab") == "ab cab"


@pytest.mark.parametrize(
    "code",
    [
        "password: str",
        "password: Optional[str] = None",
        "hashed_password = get_password_hash(password)",
        "api_key=settings.anthropic_api_key",
        'oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")',
        'token_url="/api/auth/token"',
        "max_tokens=1024, input_tokens: 12",
        "Uses OAuth2 Bearer authentication.",
        "Ask the user; run the task-ant script.",
        "def create_access_token(data: dict, expires_delta: timedelta | None = None):",
        "Use {{ placeholders }} and `code` freely.",
        'url = f"postgresql://{user}:{password}@{host}/{name}"',
        "DATABASE_URL=postgresql://app:${DB_PASSWORD}@db/app",
        "mysql://%(user)s:%(password)s@%(host)s/db",
        "postgresql://user:<password>@host/db",
        "sqlite:///./app.db, http://localhost:8000/api, https://user@example.com/x",
    ],
)
def test_ordinary_code_and_prose_kept(code):
    assert redact(code) == code


def test_idempotent():
    text = f"Bearer abc123def456 and {anthropic_key()} and api_key='zzzzzzzz1'"
    once = redact(text)
    assert redact(once) == once
    assert once.count(REDACTED) == 3


def test_redact_obj_walks_containers():
    key = anthropic_key()
    data = {
        "messages": [{"role": "user", "content": f"use {key}"}],
        "headers": {"x-api-key": "short", "Authorization": "Bearer x"},
        "pair": ("plain", key),
        "usage": {"max_tokens": 10, "input_tokens": 5},
        "token_type": "bearer",
        "nothing": None,
    }
    out = redact_obj(data)
    assert key not in repr(out)
    assert out["headers"] == {"x-api-key": REDACTED, "Authorization": REDACTED}
    assert out["pair"] == ("plain", REDACTED)
    assert out["usage"] == {"max_tokens": 10, "input_tokens": 5}
    assert out["token_type"] == "bearer"
    assert out["nothing"] is None
    assert data["headers"]["x-api-key"] == "short"  # the input is not modified


def test_secret_names():
    for name in ("ANTHROPIC_API_KEY", "x-api-key", "access_token", "client_secret", "password"):
        assert is_secret_name(name), name
    for name in ("max_tokens", "token_type", "tokenUrl", "path", "keyboard"):
        assert not is_secret_name(name), name


def test_long_text_keeps_everything_else():
    key = anthropic_key()
    filler = "line of ordinary text 0123456789\n" * 5000
    out = redact(filler + key + "\n" + filler)
    assert out == filler + REDACTED + "\n" + filler
    assert not re.search(r"sk-ant-", out)


def _dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


@pytest.mark.parametrize(
    "obj",
    [
        {"content": f"export KEY_USED={'sk-ant-' + 'api03-' + 'x' * 40}"},
        ["see", {"text": "Authorization: Bearer abc123def456ghi789"}],
        {"headers": {"x-api-key": "short"}},  # the value goes whole under a secret name
        {"Cookie": "session=1"},
        {"url": "postgresql+psycopg://app:s3cr3t-pw@127.0.0.1:5432/app"},
        {"jwt": "eyJ" + "hbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.dBjftJeZ4CVPmB92K27uhbUJU1p"},
        {"pem": "-----BEGIN PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n"},
        {"id": "AKIA" + "IOSFODNN7" + "EXAMPLE"},
        {"note": "to\u212aen=abcd1234efgh5678"},  # KELVIN SIGN: lower-cased, it is a "k"
    ],
)
def test_json_check_finds_every_document_redaction_would_change(obj):
    assert redact_obj(obj) != obj  # the examples do hold something to redact
    assert json_may_hold_secrets(_dump(obj), secret_values())


@pytest.mark.parametrize(
    "value",
    [
        "plain-value-" + "0123",
        'with "quotes" and \\ backslash',
        "with\nnewline-and-tab\t",
        "ünïcödé-wert-42",
    ],
)
def test_json_check_finds_a_literal_secret_in_its_escaped_form(value):
    register_secret(value)
    document = {"content": [{"type": "text", "text": f"use {value} here"}]}
    assert redact_obj(document) != document
    assert json_may_hold_secrets(_dump(document), secret_values())


@pytest.mark.parametrize(
    "obj",
    [
        {"role": "assistant", "content": [{"type": "tool_use", "name": "echo", "input": {}}]},
        {"text": "lorem ipsum dolor sit amet " * 200},
        {"kind": "tool", "name": "edit_file", "is_error": False, "seconds": 0.012},
        {"text": "naïve café — déjà vu"},
    ],
)
def test_json_check_passes_documents_with_nothing_to_redact(obj):
    assert not json_may_hold_secrets(_dump(obj), secret_values())
    assert redact_obj(obj) == obj
