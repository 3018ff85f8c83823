"""inspect_api: versions, signatures and docstrings read from the installed packages."""

import importlib.metadata
import inspect
from pathlib import Path

import fastapi
import pytest

from agent_kernel.project.workspace import Workspace
from agent_kernel.tools import inspect_api
from agent_kernel.tools.base import OUTPUT_CAP, ToolContext, ToolError
from agent_kernel.tools.inspect_api import InspectApiTool, package_version

tool = InspectApiTool()


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(workspace=Workspace.create(tmp_path / "ws"))


def field(out: str, name: str) -> str:
    for line in out.splitlines():
        if line.startswith(f"{name}: "):
            return line[len(name) + 2 :]
    raise AssertionError(f"no {name!r} line in:\n{out}")


def test_method_signature_version_and_source(ctx):
    out = tool({"symbol": "fastapi.FastAPI.add_middleware"}, ctx)
    assert field(out, "symbol") == "fastapi.FastAPI.add_middleware"
    assert importlib.metadata.version("fastapi") in field(out, "package")
    assert field(out, "kind") == "function"
    expected = str(inspect.signature(fastapi.FastAPI.add_middleware))
    assert field(out, "signature") == "add_middleware" + expected
    assert "middleware_class" in field(out, "signature")
    # Defined in starlette: the tool says so, with starlette's installed version.
    assert field(out, "defined as").endswith(".add_middleware")
    defined_in = field(out, "defined in package")
    assert defined_in.startswith("starlette, installed version ")
    assert importlib.metadata.version("starlette") in defined_in
    source = field(out, "source")
    assert source.startswith("starlette/applications.py:") and not source.startswith("/")


def test_package_name_reports_its_distribution_version(ctx):
    out = tool({"symbol": "sqlalchemy"}, ctx)
    version = importlib.metadata.version("SQLAlchemy")
    assert field(out, "package") == (
        f"sqlalchemy, installed version {version} (distribution SQLAlchemy)"
    )
    assert field(out, "kind") == "package"
    assert field(out, "source") == "sqlalchemy/__init__.py"
    assert "create_engine" in out.split("public names")[1]


def install_fake(site: Path, folder: str, name: str, *, top_level: str = "", record: str = ""):
    """A dist-info folder as an installer leaves it: METADATA, and top_level.txt or a RECORD."""
    info = site / folder
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n")
    if top_level:
        (info / "top_level.txt").write_text(top_level + "\n")
    if record:
        (info / "RECORD").write_text(record)


def test_import_name_inside_the_distribution_name_skips_the_full_scan(tmp_path, monkeypatch):
    """`jwt` comes from PyJWT: found by its name and confirmed, without reading every RECORD."""
    install_fake(tmp_path, "Acme_Widgets-1.2.3.dist-info", "Acme-Widgets", top_level="widgets")
    install_fake(tmp_path, "widgets_docs-1.0.dist-info", "widgets-docs", top_level="docs_theme")
    monkeypatch.syspath_prepend(str(tmp_path))

    def full_scan():
        raise AssertionError("the full import-name map was read")

    monkeypatch.setattr(inspect_api, "_distributions", full_scan)
    assert (
        package_version("widgets") == "widgets, installed version 1.2.3 (distribution Acme-Widgets)"
    )
    assert package_version("jwt").endswith(
        f"{importlib.metadata.version('PyJWT')} (distribution PyJWT)"
    )


def test_unrelated_distribution_name_falls_back_to_the_full_map(tmp_path, monkeypatch):
    record = "gadgets/__init__.py,,\nothername-2.0.dist-info/METADATA,,\n"
    install_fake(tmp_path, "othername-2.0.dist-info", "othername", record=record)
    monkeypatch.syspath_prepend(str(tmp_path))
    inspect_api._distributions.cache_clear()
    try:
        assert package_version("gadgets") == (
            "gadgets, installed version 1.2.3 (distribution othername)"
        )
    finally:
        inspect_api._distributions.cache_clear()


def test_submodule_attribute_class_and_docstring(ctx):
    out = tool({"symbol": "sqlalchemy.orm.Session.execute"}, ctx)
    assert field(out, "kind") == "function"
    assert "statement" in out
    assert "docstring:\nExecute a SQL expression construct." in out
    cls = tool({"symbol": "fastapi.testclient.TestClient"}, ctx)
    assert field(cls, "kind") == "class"
    assert "public names" in cls


def test_classmethod_and_constant(ctx):
    out = tool({"symbol": "pydantic.BaseModel.model_validate"}, ctx)
    assert field(out, "kind") == "classmethod"
    assert "obj" in out and "from_attributes" in out
    const = tool({"symbol": "fastapi.status.HTTP_201_CREATED"}, ctx)
    assert field(const, "kind") == "int value" and field(const, "value") == "201"


def test_standard_library_module(ctx):
    out = tool({"symbol": "json.dumps"}, ctx)
    assert "Python standard library" in field(out, "package")
    assert field(out, "signature").startswith("dumps(obj, *, skipkeys=False")


def test_long_signatures_are_laid_out_and_capped(ctx):
    out = tool({"symbol": "fastapi.FastAPI.get"}, ctx)
    assert "signature: get(\n    self,\n    path: " in out
    assert "response_model" in out and "status_code" in out
    assert len(out) <= OUTPUT_CAP + 100


@pytest.mark.parametrize(
    ("symbol", "message"),
    [
        ("fastapi.NoSuchThing", "no such symbol 'fastapi.NoSuchThing'"),
        ("fastapi.FastAPI.no_such_method", "fastapi.FastAPI has no attribute 'no_such_method'"),
        ("surely_not_installed_pkg", "no installed module named 'surely_not_installed_pkg'"),
        ("fastapi.not_a_submodule.x", "fastapi has no attribute 'not_a_submodule'"),
    ],
)
def test_unknown_symbol_is_an_error(ctx, symbol, message):
    with pytest.raises(ToolError, match="no such symbol") as info:
        tool({"symbol": symbol}, ctx)
    assert message in str(info.value)


def test_a_name_made_at_run_time_is_explained_not_resolved(ctx):
    """`pytest.mark.parametrize` exists only through MarkGenerator.__getattr__, never run here."""
    with pytest.raises(ToolError, match="no such symbol") as info:
        tool({"symbol": "pytest.mark.parametrize"}, ctx)
    assert "MarkGenerator.__getattr__" in str(info.value)
    assert "inspect the API they stand for" in str(info.value)
    out = tool({"symbol": "pytest.Metafunc.parametrize"}, ctx)
    assert "    ids: " in out  # the signature, laid out one parameter per line


def test_a_missing_name_on_a_plain_class_gets_no_run_time_hint(ctx):
    with pytest.raises(ToolError) as info:
        tool({"symbol": "fastapi.FastAPI.no_such_method"}, ctx)
    assert "__getattr__" not in str(info.value)


@pytest.mark.parametrize("symbol", ["", "os; import this", "fastapi.FastAPI()", "../x", 3])
def test_malformed_symbol_is_refused(ctx, symbol):
    with pytest.raises(ToolError, match="dotted path"):
        tool({"symbol": symbol}, ctx)


def test_workspace_app_is_read_with_the_editor_not_imported(ctx):
    with pytest.raises(ToolError, match="editor"):
        tool({"symbol": "sandbox_app.main.create_app"}, ctx)


def test_properties_are_read_statically_not_executed(ctx):
    out = tool({"symbol": "starlette.requests.HTTPConnection.url"}, ctx)
    assert field(out, "kind") == "property"
    assert field(out, "signature").startswith("url(self)")


def test_definition():
    definition = tool.definition()
    assert definition["name"] == "inspect_api"
    assert definition["input_schema"]["required"] == ["symbol"]
    assert "installed" in definition["description"]
