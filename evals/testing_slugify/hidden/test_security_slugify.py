"""Exploits: oversized input and hostile text that must not survive into a slug."""

import re

import pytest

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def test_oversized_text_is_refused(client):
    response = client.get("/api/slugify", params={"text": "a" * 50_000})
    assert response.status_code in (413, 414, 422)


@pytest.mark.parametrize(
    "text",
    [
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "name\r\nSet-Cookie: admin=1",
        "ｆｕｌｌｗｉｄｔｈ ＡＢＣ",
        "tab\there\x00null",
        "emoji 🚀 rocket",
    ],
)
def test_hostile_text_becomes_a_safe_slug(client, text):
    response = client.get("/api/slugify", params={"text": text})
    assert response.status_code in (200, 422)
    if response.status_code == 200:
        assert SLUG.fullmatch(response.json()["slug"]), response.json()
