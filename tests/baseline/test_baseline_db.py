"""The session dependency, dependency overrides, startup tables and the naming convention.

Every test here runs once on SQLite and once on PostgreSQL (see conftest.py).
"""

import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    create_engine,
    inspect,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from sandbox_app.core import db
from sandbox_app.core.db import Base, SessionDep, get_session


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def throwaway_models() -> Iterator[list[type]]:
    """Models declared on the real `Base` for one test, then removed from its metadata."""
    made: list[type] = []
    yield made
    for model in reversed(made):
        Base.metadata.remove(model.__table__)


def test_get_session_yields_a_working_session_and_closes_it(app_env: str) -> None:
    dependency = get_session()
    session = next(dependency)
    engine = db.get_engine()
    assert isinstance(session, Session)
    assert session.execute(text("SELECT 41 + 1")).scalar_one() == 42
    assert session.in_transaction()
    assert engine.pool.checkedout() == 1
    with pytest.raises(StopIteration):
        next(dependency)
    assert not session.in_transaction()
    assert engine.pool.checkedout() == 0, "the connection went back to the pool"


def test_requests_do_not_leak_connections(client: TestClient) -> None:
    for _ in range(5):
        assert client.get("/api/health").status_code == 200
    assert db.get_engine().pool.checkedout() == 0


def test_committed_data_is_visible_to_the_next_session(app_env: str) -> None:
    table = unique("note")
    factory = db.get_session_factory()
    with factory() as session:
        session.execute(text(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, body TEXT)"))
        session.execute(text(f"INSERT INTO {table} (id, body) VALUES (1, 'kept')"))
        session.commit()
    with factory() as session:
        assert session.execute(text(f"SELECT body FROM {table}")).scalar_one() == "kept"


def test_dependency_overrides_swap_the_session(app: FastAPI, app_env: str) -> None:
    @app.get("/probe")
    def probe(session: SessionDep) -> dict[str, str | None]:
        return {"marker": session.info.get("marker")}

    engine = create_engine(app_env)
    handed_out: list[Session] = []

    def override() -> Iterator[Session]:
        with Session(engine, info={"marker": "override"}) as session:
            handed_out.append(session)
            yield session

    with TestClient(app) as client:
        assert client.get("/probe").json() == {"marker": None}
        app.dependency_overrides[get_session] = override
        assert client.get("/probe").json() == {"marker": "override"}
        assert client.get("/api/health").status_code == 200, "health uses the override too"
        assert len(handed_out) == 2
        app.dependency_overrides.clear()
        assert client.get("/probe").json() == {"marker": None}
    engine.dispose()


def test_lifespan_creates_the_tables_at_startup(app: FastAPI, throwaway_models) -> None:
    table = unique("gadget")
    gadget = type(
        f"Gadget{table}",
        (Base,),
        {
            "__tablename__": table,
            "id": mapped_column(Integer, primary_key=True),
            "name": mapped_column(String(50)),
            "__annotations__": {"id": Mapped[int], "name": Mapped[str]},
        },
    )
    throwaway_models.append(gadget)

    assert table not in inspect(db.get_engine()).get_table_names()
    with TestClient(app):
        assert table in inspect(db.get_engine()).get_table_names()
        with db.get_session_factory()() as session:
            session.add(gadget(id=1, name="lever"))
            session.commit()
            assert session.get(gadget, 1).name == "lever"


def test_naming_convention_names_every_constraint(app: FastAPI, throwaway_models) -> None:
    parent_table, child_table = unique("p"), unique("c")
    parent = type(
        f"Parent{parent_table}",
        (Base,),
        {
            "__tablename__": parent_table,
            "id": mapped_column(Integer, primary_key=True),
            "__annotations__": {"id": Mapped[int]},
        },
    )
    throwaway_models.append(parent)
    child = type(
        f"Child{child_table}",
        (Base,),
        {
            "__tablename__": child_table,
            "__table_args__": (CheckConstraint("qty >= 0", name="qty_positive"),),
            "id": mapped_column(Integer, primary_key=True),
            "code": mapped_column(String(20), unique=True),
            "qty": mapped_column(Integer, index=True),
            "parent_id": mapped_column(ForeignKey(f"{parent_table}.id")),
            "__annotations__": {
                "id": Mapped[int],
                "code": Mapped[str],
                "qty": Mapped[int],
                "parent_id": Mapped[int],
            },
        },
    )
    throwaway_models.append(child)

    with TestClient(app):
        reflected = inspect(db.get_engine())
        assert reflected.get_pk_constraint(child_table)["name"] == f"pk_{child_table}"
        assert [u["name"] for u in reflected.get_unique_constraints(child_table)] == [
            f"uq_{child_table}_code"
        ]
        indexes = reflected.get_indexes(child_table)
        # PostgreSQL also lists the index behind the unique constraint; skip that one.
        assert [i["name"] for i in indexes if not i.get("duplicates_constraint")] == [
            f"ix_{child_table}_qty"
        ]
        assert [f["name"] for f in reflected.get_foreign_keys(child_table)] == [
            f"fk_{child_table}_parent_id_{parent_table}"
        ]
        assert [c["name"] for c in reflected.get_check_constraints(child_table)] == [
            f"ck_{child_table}_qty_positive"
        ]
