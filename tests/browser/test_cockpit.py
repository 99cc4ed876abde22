"""The cockpit in a real browser against a real server (the steps: cockpit_flow.py)."""
from __future__ import annotations

from tests.browser.cockpit_flow import (
    Cockpit,
    administered,
    modelled_and_deployed,
    repaired_then_audited,
)


def test_an_instance_in_error_is_repaired_then_audited(browser, console_server):
    repaired_then_audited(Cockpit(browser, console_server.url, console_server.admin_password))


def test_a_process_owner_edits_validates_and_deploys(browser, console_server):
    modelled_and_deployed(Cockpit(browser, console_server.url, console_server.admin_password))


def test_users_the_calendar_and_the_outbox(browser, console_server):
    administered(Cockpit(browser, console_server.url, console_server.admin_password))
