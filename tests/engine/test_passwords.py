"""Password hashing: the Argon2 cost from the settings, a bound on hashes running at once,
and settings that cannot be used named clearly."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading

import pytest
from argon2 import PasswordHasher, extract_parameters

from engine.security import passwords
from engine.settings import InvalidSettings, Settings
from tests.conftest import ROOT
from tests.worker.helpers import wait_until

CHEAP = {"memory_cost": 1024, "time_cost": 1, "parallelism": 1}


class HeldHasher(PasswordHasher):
    """A real Argon2 hasher whose hashes and checks wait at a gate the test opens, counting
    how many are inside at once."""

    def __init__(self):
        super().__init__(**CHEAP)
        self.gate = threading.Event()
        self._lock = threading.Lock()
        self.inside = 0
        self.peak = 0
        self.calls = 0

    def _held(self, work):
        with self._lock:
            self.inside += 1
            self.calls += 1
            self.peak = max(self.peak, self.inside)
        try:
            self.gate.wait(timeout=60)  # the test opens it; the timeout only ends a failed test
            return work()
        finally:
            with self._lock:
                self.inside -= 1

    def hash(self, password, *, salt=None):
        return self._held(lambda: super(HeldHasher, self).hash(password, salt=salt))

    def verify(self, hash, password):
        return self._held(lambda: super(HeldHasher, self).verify(hash, password))


BOUNDED_CALLS = {passwords.Passwords.hash.__code__, passwords.Passwords.verify.__code__}


def waiting_for_a_slot(thread: threading.Thread) -> bool:
    """Whether `thread` is blocked in Passwords.hash/verify before reaching the hasher: in a
    threading wait (the bound's semaphore) with no HeldHasher frame on its stack."""
    frame = sys._current_frames().get(thread.ident)
    if frame is None or frame.f_code is not threading.Condition.wait.__code__:
        return False
    codes = set()
    while frame is not None:
        codes.add(frame.f_code)
        frame = frame.f_back
    return bool(codes & BOUNDED_CALLS) and HeldHasher._held.__code__ not in codes


class Crowd:
    """`size` threads making `call(i)` at once against a HeldHasher; leaving the block opens
    the gate and collects their results (in `results`, by i)."""

    def __init__(self, hasher: HeldHasher, size: int, call):
        self.hasher, self.results = hasher, [None] * size

        def run(i):
            self.results[i] = call(i)
        self.threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(size)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def settle(self, inside_at_least: int):
        """Wait until that many calls are inside the hasher and every other one is waiting
        for a slot: from then on nothing moves until the gate opens."""
        wait_until(lambda: self.hasher.inside >= inside_at_least, timeout=30,
                   interval=0.005, what=f"{inside_at_least} calls inside the hasher")
        wait_until(lambda: self.hasher.inside + sum(map(waiting_for_a_slot, self.threads))
                   == len(self.threads), timeout=30, interval=0.005,
                   what="every call inside the hasher or waiting for a slot")

    def __exit__(self, *exc):
        self.hasher.gate.set()
        for thread in self.threads:
            thread.join(timeout=60)


@pytest.mark.parametrize("concurrency", [1, 2])
def test_at_most_n_hashes_and_checks_run_at_once(concurrency):
    hasher = HeldHasher()
    bounded = passwords.Passwords(hasher, concurrency)
    with Crowd(hasher, 8, lambda i: bounded.hash(f"password-{i}")) as hashing:
        hashing.settle(inside_at_least=concurrency)
        assert hasher.inside == concurrency  # the other calls wait for a slot
    assert hasher.calls == 8 and hasher.peak == concurrency

    hasher.gate.clear()
    hasher.peak = 0
    hashes = hashing.results
    with Crowd(hasher, 8, lambda i: bounded.verify(hashes[i], f"password-{i}")) as checking:
        checking.settle(inside_at_least=concurrency)
        assert hasher.inside == concurrency
    assert checking.results == [True] * 8
    assert hasher.calls == 16 and hasher.peak == concurrency
    assert hasher.inside == 0


def test_without_the_bound_the_same_threads_do_overlap():
    """The control: with nothing holding them, all eight calls are inside the hasher at once
    (and none counts as waiting for a slot)."""
    hasher = HeldHasher()
    with Crowd(hasher, 8, lambda i: hasher.hash(f"password-{i}")) as crowd:
        crowd.settle(inside_at_least=8)
        assert hasher.inside == 8
    assert hasher.peak == 8 and all(crowd.results)


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
