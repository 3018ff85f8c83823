from fastapi import APIRouter
from sqlalchemy import text

from ...core.db import SessionDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(session: SessionDep) -> dict[str, str]:
    """Liveness and database reachability in one cheap round trip."""
    session.execute(text("SELECT 1"))
    return {"status": "ok", "database": "reachable"}
