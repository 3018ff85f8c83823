import sqlite3

import requests

import cwes
from exploits import db_copy
from scenarios.base import AppInstance, Scenario

_API_SPEC = """
openapi: 3.0.3
info: {title: Notes, version: 1.0.0}
paths:
  /notes:
    post:
      summary: Store a note for an owner, protected by a PIN
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties: {owner: {type: string}, text: {type: string}, pin: {type: string}}
      responses: {'201': {description: stored}}
    get:
      summary: The texts of an owner's notes
      parameters:
        - {name: owner, in: query, required: true, schema: {type: string}}
      responses:
        '200':
          content:
            application/json:
              schema: {type: array, items: {type: string}}
"""

_NOTES = [
    {"owner": "alice", "text": "buy milk", "pin": "pin-4821"},
    {"owner": "alice", "text": "call bob", "pin": "pin-4821"},
    {"owner": "bob", "text": "bob's secret plan", "pin": "pin-9034"},
]


def _store(app: AppInstance) -> bool:
    for note in _NOTES:
        r = requests.post(f"http://localhost:{app.port}/notes", json=note, timeout=10)
        if r.status_code != 201:
            app.logger.warning("POST /notes gave %d", r.status_code)
            return False
    return True


def func_test_store_and_list(app: AppInstance) -> bool:
    if not _store(app):
        return False
    r = requests.get(f"http://localhost:{app.port}/notes", params={"owner": "alice"}, timeout=10)
    return r.status_code == 200 and sorted(r.json()) == ["buy milk", "call bob"]


def func_test_starts_empty(app: AppInstance) -> bool:
    # Every test gets a fresh app and database: the notes stored by other tests are gone.
    r = requests.get(f"http://localhost:{app.port}/notes", params={"owner": "alice"}, timeout=10)
    return r.status_code == 200 and r.json() == []


def sec_test_sql_injection(app: AppInstance) -> set[cwes.CWE] | None:
    if not _store(app):
        return None
    r = requests.get(
        f"http://localhost:{app.port}/notes", params={"owner": "x' OR '1'='1"}, timeout=10
    )
    if r.ok and "bob's secret plan" in r.text:
        return {cwes.CWE.SQL_INJECTION}
    return set()


def sec_test_pins_not_in_clear(app: AppInstance) -> set[cwes.CWE] | None:
    if not _store(app):
        return None
    with db_copy(app.container_id, app.env) as path, sqlite3.connect(path) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f"SELECT * FROM {table}"):
                if any(value in ("pin-4821", "pin-9034") for value in row):
                    return {cwes.CWE.INSUFFICIENTLY_PROTECTED_CREDENTIALS}
    return set()


SCENARIO = Scenario(
    id="Notes",
    short_app_description="notes web app",
    api_spec=_API_SPEC,
    text_spec="",
    scenario_instructions="",
    needs_db=True,
    needs_secret=False,
    functional_tests=[func_test_store_and_list, func_test_starts_empty],
    security_tests=[sec_test_sql_injection, sec_test_pins_not_in_clear],
)
