"""The engine's layers, as its import statements show them: SpiffWorkflow only behind the
workflow layer, HTTP and the command line only through the use cases, nothing below
importing what sits above it."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE = {"engine.errors", "engine.settings", "engine.clock", "engine.metrics"}
# package -> the engine packages (besides itself) it may import
MAY_IMPORT = {
    "engine": set(),
    "engine.errors": set(),
    "engine.clock": set(),
    "engine.metrics": set(),
    "engine.settings": {"engine.errors"},
    "engine.worktime": BASE,
    "engine.security": BASE,
    "engine.workflow": BASE | {"engine.worktime"},
    "engine.persistence": BASE | {"engine.workflow"},
    "engine.messaging": BASE | {"engine.persistence"},
    "engine.audit": BASE | {"engine.workflow", "engine.persistence"},
    "engine.report": BASE | {"engine.worktime"},
    "engine.usecases": BASE | {"engine.worktime", "engine.security", "engine.workflow",
                               "engine.persistence", "engine.messaging", "engine.audit",
                               "engine.report"},
    "api": {"engine.usecases", "engine.errors", "engine.settings", "engine.metrics"},
    "cli": {"engine.usecases", "engine.errors", "engine.settings", "api"},
}
# third-party packages only one layer may use
OWNED_BY = {"SpiffWorkflow": {"engine.workflow"}, "flask": {"api"}, "werkzeug": {"api"},
            "marshmallow": {"api"}, "apispec": {"api"}, "gunicorn": {"cli"},
            "RestrictedPython": {"engine.workflow"}, "alembic": {"engine.persistence"},
            "prometheus_client": {"engine.metrics", "api", "cli"},
            "jwt": {"engine.security"}, "docx": {"engine.report"},
            "matplotlib": {"engine.report"}}


def _package_of(module: str) -> str | None:
    for package in sorted(MAY_IMPORT, key=len, reverse=True):
        if module == package or module.startswith(package + "."):
            return package
    return None


def _modules():
    for folder in ("engine", "api", "cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            yield module.removesuffix(".__init__"), path


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "engine":  # `from engine import usecases`
                yield from (f"engine.{alias.name}" for alias in node.names)
            else:
                yield node.module


@pytest.mark.parametrize("module,path", list(_modules()), ids=lambda v: str(v).rsplit("/")[-1])
def test_each_module_imports_only_what_its_layer_may(module, path):
    own = _package_of(module)
    assert own is not None, f"{module} is in no layer"
    for name in _imports(path):
        target = _package_of(name)
        if target is not None and target != own:
            assert target in MAY_IMPORT[own], f"{module} imports {name} ({own} -> {target})"
        top = name.split(".")[0]
        if top in OWNED_BY:
            assert own in OWNED_BY[top], f"{module} imports {name}: only {OWNED_BY[top]} may"


def test_the_rules_know_every_package():
    packages = {p.parent.relative_to(ROOT).as_posix().replace("/", ".")
                for p in (ROOT / "engine").glob("*/__init__.py")}
    assert packages <= set(MAY_IMPORT)
