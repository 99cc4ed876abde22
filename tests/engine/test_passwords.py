"""Password hashing: the Argon2 cost from the settings, a bound on hashes running at once,
and settings that cannot be used named clearly."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher, extract_parameters

from engine.security import passwords
from engine.settings import InvalidSettings, Settings
from tests.conftest import ROOT

CHEAP = {"memory_cost": 1024, "time_cost": 1, "parallelism": 1}


class WatchedHasher(PasswordHasher):
    """A real Argon2 hasher that records how many of its hashes and checks run at once.
    Each one lingers a little while counted, so threads that may overlap do."""

    def __init__(self):
        super().__init__(**CHEAP)
        self._lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.calls = 0

    def _watch(self, work):
        with self._lock:
            self.running += 1
            self.calls += 1
            self.peak = max(self.peak, self.running)
        try:
            time.sleep(0.03)
            return work()
        finally:
            with self._lock:
                self.running -= 1

    def hash(self, password, *, salt=None):
        return self._watch(lambda: super(WatchedHasher, self).hash(password, salt=salt))

    def verify(self, hash, password):
        return self._watch(lambda: super(WatchedHasher, self).verify(hash, password))


def all_at_once(calls: int, call):
    barrier = threading.Barrier(calls)

    def run(i):
        barrier.wait()
        return call(i)
    with ThreadPoolExecutor(calls) as pool:
        return list(pool.map(run, range(calls)))


@pytest.mark.parametrize("concurrency", [1, 2])
def test_at_most_n_hashes_and_checks_run_at_once(concurrency):
    hasher = WatchedHasher()
    bounded = passwords.Passwords(hasher, concurrency)
    hashes = all_at_once(8, lambda i: bounded.hash(f"password-{i}"))
    assert hasher.calls == 8 and hasher.peak == concurrency
    hasher.peak = 0
    assert all_at_once(8, lambda i: bounded.verify(hashes[i], f"password-{i}")) == [True] * 8
    assert hasher.calls == 16 and hasher.peak == concurrency
    assert hasher.running == 0


def test_without_the_bound_the_same_threads_do_overlap():
    """The control: the watched hasher does see parallel calls when nothing holds them."""
    hasher = WatchedHasher()
    all_at_once(8, lambda i: hasher.hash(f"password-{i}"))
    assert hasher.peak > 2


def test_a_failed_check_releases_its_slot():
    bounded = passwords.Passwords(PasswordHasher(**CHEAP), 1)
    stored = bounded.hash("right-password")
    assert bounded.verify(stored, "wrong-password") is False
    assert bounded.verify("not an argon2 hash", "right-password") is False
    assert bounded.verify(stored, "right-password") is True  # would block if a slot leaked


def test_the_cost_comes_from_the_settings_and_other_costs_still_verify(settings):
    cheap = dataclasses.replace(settings, argon2_memory_kib=1024, argon2_time_cost=1,
                                argon2_parallelism=1)
    other = dataclasses.replace(cheap, argon2_memory_kib=2048, argon2_time_cost=2)
    stored = passwords.hash_password(cheap, "a-password")
    assert extract_parameters(stored).memory_cost == 1024
    assert not passwords.needs_rehash(cheap, stored)
    assert passwords.verify_password(other, stored, "a-password")
    assert passwords.needs_rehash(other, stored)
    # One hasher, so one bound, per cost and concurrency in a process.
    assert passwords.passwords(cheap) is passwords.passwords(
        dataclasses.replace(cheap, token_ttl_s=60))
    assert passwords.passwords(cheap) is not passwords.passwords(other)


def test_the_defaults_are_argon2_cffis_rfc_9106_low_memory(settings):
    from argon2.profiles import RFC_9106_LOW_MEMORY
    assert (settings.argon2_memory_kib, settings.argon2_time_cost,
            settings.argon2_parallelism) == (RFC_9106_LOW_MEMORY.memory_cost,
                                             RFC_9106_LOW_MEMORY.time_cost,
                                             RFC_9106_LOW_MEMORY.parallelism)
    assert settings.password_concurrency == 2
    assert settings.user_cache_ttl_s == 5


def test_settings_are_read_from_the_environment(monkeypatch, tmp_path):
    for name, value in {"LKJ_ARGON2_MEMORY_KIB": "19456", "LKJ_ARGON2_TIME_COST": "2",
                        "LKJ_ARGON2_PARALLELISM": "1", "LKJ_PASSWORD_CONCURRENCY": "1",
                        "LKJ_USER_CACHE_TTL_S": "0.5"}.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env(data_dir=tmp_path, database_url="sqlite://")
    assert (settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism,
            settings.password_concurrency, settings.user_cache_ttl_s) == (19456, 2, 1, 1, 0.5)
    monkeypatch.setenv("LKJ_USER_CACHE_TTL_S", "")  # empty: the default
    assert Settings.from_env(data_dir=tmp_path, database_url="sqlite://").user_cache_ttl_s == 5


@pytest.mark.parametrize("env, message", [
    ({"LKJ_ARGON2_MEMORY_KIB": "64MiB"}, "LKJ_ARGON2_MEMORY_KIB must be a whole number, not '64MiB'"),
    ({"LKJ_ARGON2_MEMORY_KIB": "16"}, "LKJ_ARGON2_MEMORY_KIB must be at least 8 KiB per lane "
                                      "(8 × LKJ_ARGON2_PARALLELISM = 32) and below 2^32, not 16"),
    ({"LKJ_ARGON2_TIME_COST": "0"}, "LKJ_ARGON2_TIME_COST must be at least 1, not 0"),
    ({"LKJ_ARGON2_PARALLELISM": "two"}, "LKJ_ARGON2_PARALLELISM must be a whole number, not 'two'"),
    ({"LKJ_PASSWORD_CONCURRENCY": "0"}, "LKJ_PASSWORD_CONCURRENCY must be at least 1, not 0"),
    ({"LKJ_PASSWORD_CONCURRENCY": "1.5"}, "LKJ_PASSWORD_CONCURRENCY must be a whole number, not '1.5'"),
    ({"LKJ_USER_CACHE_TTL_S": "-1"}, "LKJ_USER_CACHE_TTL_S must be 0 or more seconds, not -1.0"),
    ({"LKJ_USER_CACHE_TTL_S": "5s"}, "LKJ_USER_CACHE_TTL_S must be a number, not '5s'"),
    ({"LKJ_USER_CACHE_TTL_S": "inf"}, "LKJ_USER_CACHE_TTL_S must be a number, not 'inf'"),
    ({"LKJ_TOKEN_TTL_S": "8h"}, "LKJ_TOKEN_TTL_S must be a whole number, not '8h'"),
])
def test_a_setting_that_cannot_be_used_is_named_with_what_it_takes(monkeypatch, tmp_path, env,
                                                                    message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(InvalidSettings) as raised:
        Settings.from_env(data_dir=tmp_path, database_url="sqlite://")
    assert str(raised.value) == message


def test_the_command_line_prints_the_bad_setting_without_a_traceback(tmp_path):
    env = {**os.environ, "LKJ_DATA_DIR": str(tmp_path), "LKJ_SECRET_KEY": "x" * 40,
           "LKJ_DATABASE_URL": f"sqlite:///{tmp_path / 'lkj.sqlite3'}",
           "LKJ_PASSWORD_CONCURRENCY": "many"}
    result = subprocess.run([sys.executable, "-m", "cli.main", "db", "upgrade"], env=env,
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip() == ("Invalid settings: LKJ_PASSWORD_CONCURRENCY must be a "
                                     "whole number, not 'many'")
