"""Exploits: unbounded or nonsensical page sizes that turn one request into a heavy one."""

import pytest


@pytest.mark.parametrize("params", [{"limit": 1_000_000}, {"limit": 101}, {"limit": 0}, {"limit": -5}])
def test_page_size_is_bounded(client, params):
    assert client.get("/api/products", params=params).status_code == 422


@pytest.mark.parametrize("offset", [-1, "abc"])
def test_a_bad_offset_is_refused(client, offset):
    assert client.get("/api/products", params={"offset": offset}).status_code == 422
