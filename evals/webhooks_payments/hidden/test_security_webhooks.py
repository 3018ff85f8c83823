"""Exploits: unsigned, forged, stale and replayed webhook deliveries."""

import hashlib
import hmac
import json
import time
import uuid

import pytest

SECRET = "whsec-hidden-check-7f3a9c"


@pytest.fixture
def api(make_client):
    return make_client(WEBHOOK_SECRET=SECRET)


def signed(event, secret=SECRET, timestamp=None):
    body = json.dumps(event).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Timestamp": stamp, "X-Signature": mac}
    return body, headers


def event():
    return {"id": f"evt_{uuid.uuid4().hex}", "type": "payment.succeeded", "amount": 100}


def processed(api, event_id):
    return api.get(f"/api/webhooks/payments/{event_id}").status_code == 200


def test_an_unsigned_event_is_refused(api):
    payload = event()
    response = api.post("/api/webhooks/payments", json=payload)
    assert response.status_code == 401
    assert not processed(api, payload["id"])


def test_a_signature_made_with_another_secret_is_refused(api):
    payload = event()
    body, headers = signed(payload, secret="attacker-guess")
    assert api.post("/api/webhooks/payments", content=body, headers=headers).status_code == 401
    assert not processed(api, payload["id"])


def test_a_tampered_body_is_refused(api):
    payload = event()
    body, headers = signed(payload)
    tampered = body.replace(b"100", b"999999")
    assert api.post("/api/webhooks/payments", content=tampered, headers=headers).status_code == 401


def test_a_replayed_delivery_is_refused(api):
    body, headers = signed(event())
    assert api.post("/api/webhooks/payments", content=body, headers=headers).status_code == 202
    assert api.post("/api/webhooks/payments", content=body, headers=headers).status_code == 409


def test_a_stale_timestamp_is_refused(api):
    payload = event()
    body, headers = signed(payload, timestamp=int(time.time()) - 3600)
    assert api.post("/api/webhooks/payments", content=body, headers=headers).status_code == 401
    assert not processed(api, payload["id"])


def test_an_unconfigured_secret_accepts_nothing(make_client):
    api = make_client(WEBHOOK_SECRET="")
    body, headers = signed(event(), secret="")
    assert api.post("/api/webhooks/payments", content=body, headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("stamp", "signature"),
    [
        (None, "é" * 64),  # a non-ASCII signature: compare_digest on str would raise
        (None, "ü"),
        ("9" * 400, None),  # an absurd timestamp: int/float arithmetic would overflow
        ("²³", None),  # digits to str.isdigit(), not to int()
    ],
    ids=["non-ascii-signature", "short-non-ascii", "absurd-timestamp", "superscript-digits"],
)
def test_a_malformed_signature_or_timestamp_is_a_401_never_a_500(api, stamp, signature):
    body, headers = signed(event())
    if stamp is not None:
        headers["X-Timestamp"] = stamp
    if signature is not None:
        headers["X-Signature"] = signature
    encoded = {name: value.encode("utf-8") for name, value in headers.items()}
    response = api.post("/api/webhooks/payments", content=body, headers=encoded)
    assert response.status_code == 401
