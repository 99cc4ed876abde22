"""The token signing key: generated once into the data folder, the same for every process
that starts at once, and refused when it is too short to be safe."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from engine.settings import InvalidSettings, Settings
from tests.conftest import ROOT

# Each child waits for the same moment, then reads (and, when first, creates) the key of
# each of FOLDERS fresh folders in turn: the children run through them side by side, so
# they meet on many folders at once.
FOLDERS = 100
CHILD = """
import json, sys, time
from pathlib import Path
from engine.settings import Settings
start_at, root, count = float(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
time.sleep(max(0.0, start_at - time.time()))
print(json.dumps([Settings.from_env(data_dir=root / str(n), database_url="sqlite://").secret_key
                  for n in range(count)]))
"""


def environment(**changes) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LKJ_")}
    env.update(changes)
    return env


@pytest.mark.parametrize("round_", range(3))
def test_processes_starting_at_once_agree_on_one_key(tmp_path, round_):
    root = tmp_path / "data"  # the folders do not exist yet
    processes = 16
    start_at = time.time() + 2.0  # after every child has started and imported
    children = [subprocess.Popen([sys.executable, "-c", CHILD, str(start_at), str(root),
                                  str(FOLDERS)],
                                 cwd=ROOT, env=environment(), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
                for _ in range(processes)]
    seen = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        seen.append(json.loads(out))
    for n in range(FOLDERS):
        keys = {keys_of_child[n] for keys_of_child in seen}
        assert len(keys) == 1, f"folder {n}: {len(keys)} different keys"
        [key] = keys
        assert len(key) >= 32
        folder = root / str(n)
        assert (folder / "secret_key").read_text() == key
        assert [p.name for p in folder.iterdir()] == ["secret_key"]  # no temporary file left
        assert (folder / "secret_key").stat().st_mode & 0o777 == 0o600


def test_the_key_survives_a_restart(tmp_path):
    first = Settings.from_env(data_dir=tmp_path, database_url="sqlite://").secret_key
    assert Settings.from_env(data_dir=tmp_path, database_url="sqlite://").secret_key == first


def test_an_empty_key_file_is_refused_with_what_to_do(tmp_path):
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(InvalidSettings, match="is empty: delete it"):
        Settings.from_env(data_dir=tmp_path, database_url="sqlite://")


def test_a_short_secret_key_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("LKJ_SECRET_KEY", "x" * 31)
    with pytest.raises(InvalidSettings, match="LKJ_SECRET_KEY must be at least 32 bytes long, "
                                              "not 31"):
        Settings.from_env(data_dir=tmp_path, database_url="sqlite://")
    monkeypatch.setenv("LKJ_SECRET_KEY", "x" * 32)
    assert Settings.from_env(data_dir=tmp_path, database_url="sqlite://").secret_key == "x" * 32


def test_lkj_refuses_to_start_with_a_short_secret_key(tmp_path):
    env = environment(LKJ_DATA_DIR=str(tmp_path), LKJ_SECRET_KEY="too-short",
                      LKJ_DATABASE_URL=f"sqlite:///{tmp_path / 'lkj.sqlite3'}",
                      LKJ_ADMIN_PASSWORD="admin-password-123")
    result = subprocess.run([sys.executable, "-m", "cli.main", "serve", "--port", "0"], env=env,
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().startswith(
        "Invalid settings: LKJ_SECRET_KEY must be at least 32 bytes long, not 9")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "lkj.sqlite3").exists()  # refused before touching anything
