"""The first phase of an LKj cycle worked in the web console by its people, in headless
Chromium (Debian's, driven by Playwright) against a real `lkj serve`: used by the browser
test (tests/browser/test_console.py) and by the screenshot script (scripts/screenshots).

Each person signs in in their own browser context and does their step with the mouse and
keyboard; the steps between them (the approval chain's checks) are taken over the REST API
with the procedure's sample answers, as in tests/integration. Every page is watched: no
request may leave the server's origin, and the browser console may show no error except the
failed-resource lines of the 422s a step provokes on purpose (counted).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.integration.rest_client import Client
from tests.integration.test_lkj_over_http import HttpAnswers

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PASSWORD = "kata-sandi-rahasia"
UNITS = {"DEP1": "Deputi Bidang Administrasi Aparatur", "DEP2": "Deputi Bidang Hubungan Kelembagaan"}
ROLES = ["kepala_biro", "kepala_bagian", "kepala_subbagian", "staf", "deputi", "menteri",
         "biro_tata_usaha", *[f"satuan_kerja:{code}" for code in UNITS]]
YEAR = 2025
STEP_TIMEOUT_MS = 15_000


def username(role: str) -> str:
    return role.replace(":", "-")


@dataclass
class Watch:
    """What the pages of one run asked for and complained about."""
    origin: str
    foreign_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    provoked_422: int = 0

    def attach(self, context: BrowserContext) -> None:
        context.on("request", self._request)
        context.on("page", self._page)

    def _page(self, page: Page) -> None:
        page.on("console", lambda message: message.type == "error"
                and self.console_errors.append(message.text))
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    def _request(self, request) -> None:
        url = request.url
        if not (url.startswith(self.origin + "/") or url.startswith(("data:", "blob:"))):
            self.foreign_requests.append(url)

    def unexpected_console_errors(self) -> list[str]:
        provoked = [e for e in self.console_errors if "status of 422" in e]
        others = [e for e in self.console_errors if "status of 422" not in e]
        if len(provoked) > self.provoked_422:
            others += provoked
        return others


# Every control a person operates has a name a screen reader says: an <input>, <select> or
# <textarea> a label (or aria-label), a button or link some text, aria-label or title.
UNNAMED_CONTROLS = """() => [...document.querySelectorAll('input, select, textarea, button, a[href]')]
  .filter((el) => el.type !== 'hidden' && el.offsetParent !== null)
  .filter((el) => {
    if (el.matches('input, select, textarea')) {
      return !(el.labels.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'));
    }
    return !(el.textContent.trim() || el.getAttribute('aria-label') || el.getAttribute('title'));
  })
  .map((el) => el.outerHTML.slice(0, 120))"""


def assert_named_controls(page: Page) -> None:
    unnamed = page.evaluate(UNNAMED_CONTROLS)
    assert unnamed == [], f"controls without a name on {page.url}: {unnamed}"


class Flow:
    """One LKj year worked through its first phase; `shoot(page, name)` is told each page
    worth a picture."""

    def __init__(self, browser: Browser, base_url: str, admin_password: str, shoot=None,
                 timezone: str = "UTC"):
        self.browser, self.base = browser, base_url
        self.watch = Watch(base_url)
        self.shoot = shoot or (lambda page, name: None)
        self.timezone = timezone  # the browser's own zone: the console shows Jakarta time
        self.admin = Client(base_url, "admin", admin_password)
        self.clients: dict[str, Client] = {}
        self.instance_id: str | None = None
        self.answers = HttpAnswers()

    # ------------------------------------------------------------ setting up

    def register_people(self) -> None:
        for code, name in UNITS.items():
            self.admin.post("/units", {"code": code, "name": name}, status=201)
        for role in ROLES:
            self.admin.post("/users", {"username": username(role), "password": PASSWORD,
                                       "roles": [role], "full_name": f"Pengguna {role}"},
                            status=201)

    def client(self, role: str) -> Client:
        if role not in self.clients:
            self.clients[role] = Client(self.base, username(role), PASSWORD)
        return self.clients[role]

    def new_page(self, viewport=DESKTOP) -> Page:
        context = self.browser.new_context(viewport=viewport, timezone_id=self.timezone,
                                           locale="id-ID", accept_downloads=True)
        self.watch.attach(context)
        page = context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        return page

    def sign_in(self, role: str, viewport=DESKTOP, path: str = "/", shot: str | None = None) -> Page:
        page = self.new_page(viewport)
        page.goto(self.base + path)
        page.get_by_label("Nama pengguna").fill(username(role))
        if shot:
            self.shoot(page, shot)
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_label("Kata sandi").press("Enter")  # the keyboard signs in too
        expect(page.get_by_role("navigation", name="Navigasi utama")).to_be_visible()
        return page

    # ------------------------------------------------------------ the REST API between

    def open_tasks(self) -> list[dict]:
        return self.admin.get("/tasks", process_instance_id=self.instance_id, limit=500)["items"]

    def advance_until(self, stop) -> dict:
        """Take the oldest open task over the API until `stop(task)`; return that task."""
        for _ in range(200):
            tasks = self.open_tasks()
            assert tasks, "the instance has no open task left"
            chosen = [t for t in tasks if stop(t)]
            if chosen:
                return chosen[0]
            task = min(tasks, key=lambda t: (t["created_at"], t["role"], t["element_id"]))
            self.complete_over_api(task)
        raise AssertionError("no task to stop at")

    def complete_over_api(self, task: dict, data: dict | None = None) -> None:
        worker = self.client(task["role"])
        self.answers.client, self.answers.instance_id = worker, self.instance_id
        if data is None:
            variables = worker.get(f"/tasks/{task['id']}/variables")["variables"]
            data = self.answers.for_form(task["form_key"], task["element_id"], variables)
        if task["state"] == "ready":
            worker.post(f"/tasks/{task['id']}/claim")
        worker.post(f"/tasks/{task['id']}/complete", {"data": data})

    # ------------------------------------------------------------ the people's steps

    def head_of_bureau_starts_the_year(self) -> None:
        page = self.sign_in("kepala_biro", shot="signin")
        page.get_by_role("link", name="Mulai proses").click()
        expect(page.get_by_role("heading", name="Mulai proses", level=1)).to_be_visible()
        card = page.get_by_role("region", name=re.compile("Penyusunan Laporan Kinerja"))
        year = card.get_by_label("Tahun laporan")
        year.fill(str(YEAR))
        # a unit code the server does not know: refused at the field (a 422), nothing starts
        card.get_by_role("button", name="Tambah").click()
        card.locator("input[id$='units_0']").fill("DEP9")
        self.watch.provoked_422 += 1
        card.get_by_role("button", name="Mulai").click()
        expect(card.locator("[id$='units__error'], [id$='units_0__error']").first).to_contain_text("DEP9")
        self.shoot(page, "start-field-error")
        assert_named_controls(page)
        card.get_by_role("button", name="Hapus").click()
        card.get_by_role("button", name="Mulai").click()
        # started: the head of bureau's own first task opens
        expect(page.get_by_role("heading", name="Memberikan arahan penyusunan LKj")).to_be_visible()
        expect(page.get_by_role("status").first).to_contain_text("dimulai")
        self.instance_id = page.get_by_role("link", name="Lihat posisi proses").get_attribute(
            "href").rsplit("/", 1)[-1]
        started = self.admin.get(f"/process-instances/{self.instance_id}")
        assert started["started_by"] == "kepala_biro" and started["status"] == "running"
        self.shoot(page, "task-first")
        page.context.close()

    def staff_drafts_a_document(self, tmp: Path) -> None:
        draft = self.advance_until(lambda t: t["element_id"] == "draft_document")
        page = self.sign_in("staf")
        page.get_by_role("tab", name="Staf").click()
        row = page.locator(f"tr[data-task-id='{draft['id']}']")
        expect(row).to_contain_text("Menyusun konsep dokumen")
        expect(row).to_contain_text("Memorandum Deputi Bidang Administrasi Aparatur")  # subject
        expect(row).to_contain_text("Pembentukan Tim Penyusun LKj")  # phase
        self.shoot(page, "inbox-queue")
        assert_named_controls(page)
        row.get_by_role("button", name="Ambil").click()  # claimed in place
        expect(row).to_contain_text("Anda")
        row.get_by_role("link", name="Kerjakan").click()
        expect(page.get_by_role("heading", name="Menyusun konsep dokumen")).to_be_visible()
        document = tmp / "konsep-memorandum.pdf"
        document.write_bytes(b"%PDF-1.7 konsep memorandum " + b"x" * 200_000)
        page.locator("#task_document").set_input_files(str(document))
        expect(page.locator("#task_document-status")).to_contain_text("konsep-memorandum.pdf")
        page.get_by_label("Ringkasan").fill("Konsep memorandum sesuai arahan Kepala Biro.")
        self.shoot(page, "task-form")
        assert_named_controls(page)
        page.get_by_role("button", name="Selesaikan tugas").click()
        expect(page.get_by_role("status").first).to_contain_text("selesai")
        done = self.admin.get(f"/tasks/{draft['id']}")
        assert done["state"] == "completed" and done["completed_by"] == "staf"
        page.context.close()

    def unit_submits_its_data(self, tmp: Path) -> None:
        mine = self.advance_until(lambda t: t["role"] == "satuan_kerja:DEP1")
        page = self.sign_in("satuan_kerja:DEP1")
        page.get_by_role("tab", name=re.compile("Satuan kerja")).click()
        row = page.locator(f"tr[data-task-id='{mine['id']}']")
        expect(row).to_contain_text(UNITS["DEP1"])
        row.get_by_role("button", name="Ambil").click()
        row.get_by_role("link", name="Kerjakan").click()
        expect(page.get_by_role("heading", name=mine["name"])).to_be_visible()
        # at least one indicator is required: the form opens with one to fill
        page.locator("#task_indicators_0_code").fill("IKU-1")
        page.locator("#task_indicators_0_name").fill("Indeks kepuasan layanan")
        page.locator("#task_indicators_0_objective").fill("Meningkatnya kualitas layanan")
        page.locator("#task_indicators_0_polarity").get_by_label("Makin tinggi makin baik").check()
        page.locator("#task_indicators_0_target").fill("3.5")
        page.locator("#task_indicators_0_realisation").fill("3.6")
        page.locator("#task_budget_ceiling").fill("12500000000")
        page.locator("#task_budget_realisation").fill("11800000000")
        # the unit of measure is left out: the browser says so at the field, nothing is sent
        page.get_by_role("button", name="Selesaikan tugas").click()
        error = page.locator("#task_indicators_0_unit_of_measure__error")
        expect(error).to_be_visible()
        self.shoot(page, "task-field-error")
        assert self.admin.get(f"/tasks/{mine['id']}")["state"] == "claimed"
        page.locator("#task_indicators_0_unit_of_measure").fill("indeks")
        report = tmp / "data-kinerja-DEP1.xlsx"
        report.write_bytes(b"PK\x03\x04 data kinerja DEP1")
        page.locator("#task_supporting_document").set_input_files(str(report))
        expect(page.locator("#task_supporting_document-status")).to_contain_text("data-kinerja-DEP1.xlsx")
        page.get_by_role("button", name="Selesaikan tugas").click()
        expect(page.get_by_role("status").first).to_contain_text("selesai")
        assert self.admin.get(f"/tasks/{mine['id']}")["state"] == "completed"
        page.context.close()

    def checker_returns_the_data(self) -> None:
        check = self.advance_until(lambda t: t["element_id"] == "check_data_staf"
                                   and "DEP1" in (t["subject"] or ""))
        page = self.sign_in("staf")
        page.goto(f"{self.base}/tasks/{check['id']}")
        expect(page.get_by_role("heading", name=check["name"])).to_be_visible()
        page.get_by_role("button", name="Ambil").click()
        data = page.get_by_role("region", name="Data untuk tugas ini")
        table = data.locator("table.records")
        expect(table.locator("th", has_text="Kode")).to_be_visible()
        expect(table.locator("th", has_text="Realisasi")).to_be_visible()
        expect(table.locator("td", has_text="IKU-1")).to_be_visible()
        expect(data.get_by_role("link", name="data-kinerja-DEP1.xlsx")).to_be_visible()
        page.get_by_label("Kembalikan untuk diperbaiki").check()
        page.get_by_role("button", name="Selesaikan tugas").click()
        expect(page.locator("#task_notes__error")).to_be_visible()  # notes needed to return
        page.get_by_label("Catatan").fill("Lengkapi penjelasan capaian IKU-1.")
        self.shoot(page, "task-check-table")
        assert_named_controls(page)
        page.get_by_role("button", name="Selesaikan tugas").click()
        expect(page.get_by_role("status").first).to_contain_text("selesai")
        assert self.admin.get(f"/tasks/{check['id']}")["completed_by"] == "staf"
        page.context.close()

    def where_it_stands(self) -> None:
        """The unit's data came back to the unit: the instance page shows that task under
        way in the unit's sub-process, with its queue."""
        returned = [t for t in self.open_tasks() if t["role"] == "satuan_kerja:DEP1"]
        assert returned and returned[0]["element_id"] == "submit_performance_data"
        page = self.sign_in("kepala_biro")
        page.get_by_role("link", name="Posisi proses").click()
        page.get_by_role("link", name=re.compile("Penyusunan Laporan Kinerja")).first.click()
        expect(page.get_by_role("heading", name="Diagram")).to_be_visible()
        diagram = page.get_by_test_id("diagram")
        expect(diagram.locator(".djs-element.lkj-done").first).to_be_attached()
        expect(diagram.locator("[data-element-id='call_data_collection'].lkj-active")).to_be_attached()
        page.get_by_role("button", name=re.compile("Pengumpulan data kinerja")).click()
        page.get_by_role("button", name=re.compile("Pengisian dan pemeriksaan data")).click()
        run = page.get_by_label("Putaran")  # one run per unit: the DEP1 one
        run.select_option(run.locator("option", has_text="DEP1").get_attribute("value"))
        current = diagram.locator("[data-element-id='submit_performance_data']")
        expect(current).to_have_class(re.compile("lkj-active"))
        expect(page.locator(".lkj-badge").first).to_contain_text("DEP1")
        expect(diagram.locator("[data-element-id='check_data_staf']")).to_have_class(re.compile("lkj-done"))
        history = page.get_by_role("region", name="Riwayat")
        expect(history).to_contain_text("Pengguna staf mengembalikan untuk diperbaiki")
        expect(page.get_by_role("region", name="Dokumen")).to_contain_text("data-kinerja-DEP1.xlsx")
        self.shoot(page, "instance")
        assert_named_controls(page)
        page.context.close()

    def on_a_phone(self) -> None:
        page = self.sign_in("satuan_kerja:DEP1", viewport=PHONE)
        page.get_by_role("tab", name=re.compile("Satuan kerja")).click()
        expect(page.locator("tr[data-task-id]").first).to_be_visible()
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= PHONE["width"], f"the inbox is {wide}px wide on a {PHONE['width']}px phone"
        self.shoot(page, "phone-inbox")
        assert_named_controls(page)
        page.context.close()
