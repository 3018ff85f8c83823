"""Signed events are accepted and processed in the background."""

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
    return {"id": f"evt_{uuid.uuid4().hex}", "type": "payment.succeeded", "amount": 4200}


def test_a_signed_event_is_accepted_and_processed(api):
    payload = event()
    body, headers = signed(payload)
    response = api.post("/api/webhooks/payments", content=body, headers=headers)
    assert response.status_code == 202, response.text
    status = api.get(f"/api/webhooks/payments/{payload['id']}")
    assert status.status_code == 200
    assert status.json() == {"id": payload["id"], "status": "processed"}


def test_an_unknown_event_is_404(api):
    assert api.get("/api/webhooks/payments/evt_never_sent").status_code == 404


def test_processing_happens_in_a_background_task(api):
    from fastapi import BackgroundTasks

    calls = []
    original = BackgroundTasks.add_task

    def spy(self, func, *args, **kwargs):
        calls.append(func)
        return original(self, func, *args, **kwargs)

    BackgroundTasks.add_task = spy
    try:
        body, headers = signed(event())
        assert api.post("/api/webhooks/payments", content=body, headers=headers).status_code == 202
    finally:
        BackgroundTasks.add_task = original
    assert calls, "the event was not handed to a background task"
