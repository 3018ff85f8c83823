"""An in-process check: a fresh import of the workspace app, then ten requests.

This is what a notebook's live check does after every agent run. Workspaces are generated
with 0, 1, 10 and 50 extra routers (each a Pydantic schema, a SQLAlchemy table and three
routes) to show how the cost grows with the size of the app.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import REPO, BenchResult, median, seconds

SIZES = (0, 1, 10, 50)
REQUESTS = 10

ROUTER_TEMPLATE = """from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ...core.db import Base, SessionDep

router = APIRouter(prefix="/extra{n}", tags=["extra{n}"])


class Item{n}(Base):
    __tablename__ = "extra_items_{n}"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))


class Item{n}In(BaseModel):
    name: str = Field(min_length=1, max_length=80)


class Item{n}Out(Item{n}In):
    id: int


@router.get("/items", response_model=list[Item{n}Out])
def list_items(session: SessionDep) -> list[Item{n}]:
    return list(session.query(Item{n}).limit(50))


@router.post("/items", response_model=Item{n}Out, status_code=201)
def create_item(body: Item{n}In, session: SessionDep) -> Item{n}:
    item = Item{n}(name=body.name)
    session.add(item)
    session.commit()
    return item


@router.get("/items/{{item_id}}", response_model=Item{n}Out)
def get_item(item_id: int, session: SessionDep) -> Item{n}:
    item = session.get(Item{n}, item_id)
    if item is None:
        raise HTTPException(404, "no such item")
    return item
"""


def make_workspace(root: Path, extra_routers: int) -> Path:
    """A copy of the baseline app with `extra_routers` generated routers wired in."""
    package = root / "sandbox_app"
    shutil.copytree(
        REPO / "sandbox_app", package, ignore=shutil.ignore_patterns("__pycache__", "*.db")
    )
    routes = package / "api" / "routes"
    lines = ["from fastapi import APIRouter", "", "from .routes import health"]
    lines += [f"from .routes import extra{n}" for n in range(extra_routers)]
    lines += ["", "api_router = APIRouter()", "api_router.include_router(health.router)"]
    lines += [f"api_router.include_router(extra{n}.router)" for n in range(extra_routers)]
    for n in range(extra_routers):
        (routes / f"extra{n}.py").write_text(ROUTER_TEMPLATE.format(n=n), encoding="utf-8")
    (package / "api" / "router.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def one_check(root: Path, extra_routers: int) -> dict[str, float]:
    """Open a client on a fresh import, send ten requests, close; the parts in seconds."""
    from agent_kernel.project.live_check import close_client, open_client

    started = time.perf_counter()
    client = open_client(root)
    opened = time.perf_counter()
    latencies = []
    try:
        for number in range(REQUESTS):
            path = "/api/health" if not extra_routers or number % 2 == 0 else "/api/extra0/items"
            before = time.perf_counter()
            response = client.get(path)
            latencies.append(time.perf_counter() - before)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text}")
    finally:
        close_client(client)
    finished = time.perf_counter()
    return {
        "total": finished - started,
        "open": opened - started,
        "request_median": median(latencies),
    }


def run(repeats: int = 7, sizes: tuple[int, ...] = SIZES) -> BenchResult:
    measured: dict[int, list[dict[str, float]]] = {size: [] for size in sizes}
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        roots = {size: make_workspace(Path(tmp) / f"ws{size}", size) for size in sizes}
        for size in sizes:  # warm: the stack itself is imported once per process
            one_check(roots[size], size)
        for round_ in range(repeats):
            shift = round_ % len(sizes)
            for size in sizes[shift:] + sizes[:shift]:
                measured[size].append(one_check(roots[size], size))

    def part(size: int, name: str) -> float:
        return median([m[name] for m in measured[size]])

    base = part(sizes[0], "total")
    rows: list[list[str]] = []
    summary: dict[str, Any] = {}
    for size in sizes:
        total = part(size, "total")
        summary[str(size)] = {
            "total_s": total,
            "open_s": part(size, "open"),
            "request_median_s": part(size, "request_median"),
        }
        rows.append(
            [
                str(size),
                seconds(total),
                seconds(part(size, "open")),
                seconds(part(size, "request_median")),
                f"{total / base:.2f}x",
            ]
        )
    largest = sizes[-1]
    growth = (part(largest, "total") - base) / largest if largest else 0.0
    return BenchResult(
        key="live_check",
        title="In-process check: fresh import of the workspace app plus ten requests",
        target="none (median latency, and its growth with the size of the app)",
        headline=(
            f"{seconds(base)} for the baseline app; "
            f"+{seconds(growth)} per extra router (at {largest})"
        ),
        verdict="info",
        headers=[
            "extra routers",
            "check (import + startup + 10 requests + shutdown)",
            "import + startup",
            "one request (median)",
            "vs baseline",
        ],
        rows=rows,
        notes=[
            f"Median of {repeats} interleaved checks per size, after one warm-up each "
            "(the FastAPI/SQLAlchemy stack is already imported, as in a notebook kernel).",
            "Each extra router: a Pydantic schema, a SQLAlchemy table and three routes; "
            "requests alternate GET /api/health and GET /api/extra0/items.",
        ],
        data={"repeats": repeats, "sizes": summary},
    )
