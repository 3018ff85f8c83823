from env.base import Env

_FAST_API_REQS_TXT = """
fastapi==0.115.6
uvicorn==0.34.0
"""

FastAPIEnv = Env(
    language="Python",
    framework="FastAPI",
    workdir="/app",
    sqlite_database="db.sqlite3",
    code_filename="app.py",
    entrypoint_cmd="python3 app.py",
    allowed_packages=_FAST_API_REQS_TXT,
    env_instructions="Put all code in one file!",
)
