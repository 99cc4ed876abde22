"""The web console in a real browser against a real server: the first phase of an LKj year
with the mouse, in Indonesian, and what every page must also do (see flow.py)."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.flow import DESKTOP, Flow


def test_the_first_phase_of_a_year_in_the_console(browser, console_server, tmp_path):
    flow = Flow(browser, console_server.url, console_server.admin_password)
    flow.register_people()
    flow.head_of_bureau_starts_the_year()
    flow.staff_drafts_a_document(tmp_path)
    flow.unit_submits_its_data(tmp_path)
    flow.checker_returns_the_data()
    flow.where_it_stands()
    flow.on_a_phone()
    assert flow.watch.foreign_requests == [], "requests left the server's origin"
    assert flow.watch.page_errors == []
    assert flow.watch.unexpected_console_errors() == []


def test_session_language_and_connection(browser, console_server):
    flow = Flow(browser, console_server.url, console_server.admin_password)
    flow.register_people()
    page = flow.sign_in("staf")
    # the session survives a reload
    page.reload()
    expect(page.get_by_role("heading", name="Kotak tugas")).to_be_visible()
    # English is one choice away, and stays chosen
    page.get_by_label("Bahasa").select_option("en")
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    page.get_by_label("Language").select_option("id")
    # the server unreachable: a banner, the page keeps what it showed; back: it goes away
    page.context.set_offline(True)
    page.get_by_role("tab", name="Staf").click()
    banner = page.get_by_test_id("connection-banner")
    expect(banner).to_contain_text("Server tidak dapat dihubungi")
    expect(page.get_by_role("heading", name="Kotak tugas")).to_be_visible()
    page.context.set_offline(False)
    banner.get_by_role("button", name="Coba lagi").click()
    expect(banner).to_have_count(0)
    # a token the server no longer accepts leads back to the sign-in page
    page.evaluate("""() => {
        const session = JSON.parse(localStorage.getItem('lkj.session'));
        localStorage.setItem('lkj.session', JSON.stringify({...session, token: 'not-a-token'}));
    }""")
    page.goto(f"{console_server.url}/instances")
    expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
    # the address says where to return; it may follow the page by a moment: wait for it
    expect(page).to_have_url(re.compile(r"next=%2Finstances"))
    page.set_viewport_size(DESKTOP)
    assert flow.watch.foreign_requests == []
    assert flow.watch.page_errors == []
