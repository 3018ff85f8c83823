"""The endpoint answers every city and fetches them concurrently."""

import inspect
import time


def test_each_city_gets_its_temperature(client):
    response = client.get("/api/weather", params={"cities": "Paris,Oslo,Lima"})
    assert response.status_code == 200, response.text
    assert response.json() == {"temperatures": {"Paris": 5.0, "Oslo": 4.0, "Lima": 4.0}}


def test_the_service_function_simulates_the_upstream():
    import asyncio

    from sandbox_app.services.weather import fetch_temperature

    assert inspect.iscoroutinefunction(fetch_temperature)
    assert asyncio.run(fetch_temperature("Quito")) == 5.0


def test_cities_are_fetched_concurrently(client):
    cities = "Paris,Oslo,Lima,Rome,Kyiv,Accra"
    started = time.perf_counter()
    response = client.get("/api/weather", params={"cities": cities})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert len(response.json()["temperatures"]) == 6
    # One after another would take 6 x 0.3 s = 1.8 s; concurrently about 0.3 s.
    assert elapsed < 1.2, f"took {elapsed:.2f}s: the cities were not fetched concurrently"


def endpoints(routes):
    """Every route with an endpoint, looking inside included routers too."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from endpoints(inner.routes)
        elif getattr(route, "endpoint", None) is not None:
            yield route


def test_the_endpoint_is_async(client):
    routes = [r for r in endpoints(client.app.routes) if r.path.endswith("/weather")]
    assert routes, "no /weather route"
    assert all(inspect.iscoroutinefunction(route.endpoint) for route in routes)
