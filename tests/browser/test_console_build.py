"""The console's committed build (api/console_dist, served by `lkj serve` without Node) is
what its sources and the lockfile build today: `npm run build:console` into a temporary
folder must give the same files, byte for byte. When this fails, run
`npm ci && npm run build:console` and commit api/console_dist."""
from __future__ import annotations

import filecmp
import json
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

DIST = ROOT / "api" / "console_dist"


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_the_committed_build_is_what_the_sources_build(tmp_path):
    if shutil.which("node") is None:
        pytest.fail("`node` is not on PATH: install Node.js 20+ and run `npm ci`")
    if not (ROOT / "node_modules" / "esbuild" / "package.json").is_file():
        pytest.fail("node_modules/ lacks esbuild: run `npm ci` in the repository root")
    out = tmp_path / "console_dist"
    built = subprocess.run(["node", str(ROOT / "console" / "build.mjs"), "--out", str(out),
                            "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    assert _files(out) == _files(DIST), "the committed build has other files: rebuild it"
    stale = [name for name in _files(out) if not filecmp.cmp(out / name, DIST / name, shallow=False)]
    assert stale == [], f"stale in api/console_dist: {stale}; run npm run build:console"


def test_the_build_names_the_console_pages_for_the_server():
    sections = json.loads((DIST / "sections.json").read_text())
    assert {"tasks", "instances", "start", "account", "signin"} <= set(sections)
    index = (DIST / "index.html").read_text()
    assert '<html lang="id">' in index
    for reference in ("/assets/app-", ".css", "/assets/favicon-"):
        assert reference in index
    assert "http://" not in index and "https://" not in index  # nothing from another host
