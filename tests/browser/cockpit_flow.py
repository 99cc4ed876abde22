"""The cockpit worked in headless Chromium against a real `lkj serve`: used by its browser
test (tests/browser/test_cockpit.py) and by the screenshot script (scripts/screenshots).
An administrator repairs an instance a failing script put into error, an auditor verifies
and replays it and reads the SLA charts, a process owner renames a task in the modeler and
deploys version n+1, and a broken condition is shown on its element by the server's check
without anything deployed; the definitions show who deployed what, and a process is
suspended and resumed, a version deleted. Every page is watched (flow.py): no request to
another host, no console error but the refused deletion's."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.flow import Flow, assert_named_controls
from tests.conftest import ROOT
from tests.integration.rest_client import Client

FIXTURE = ROOT / "tests" / "browser" / "fixtures" / "division"
CAMUNDA = ROOT / "tests" / "fixtures" / "dialects" / "camunda"
PASSWORD = "kata-sandi-rahasia"


class Cockpit(Flow):
    def __init__(self, browser, base_url: str, admin_password: str, **kwargs):
        super().__init__(browser, base_url, admin_password, **kwargs)
        self.password = admin_password

    def people(self, **roles: str) -> None:
        for name, role in roles.items():
            self.admin.post("/users", {"username": name, "password": PASSWORD, "roles": [role],
                                       "full_name": f"Pengguna {name}"}, status=201)

    def sign_in_as(self, username: str, path: str):
        page = self.new_page()
        page.goto(self.base + path)
        page.get_by_label("Nama pengguna").fill(username)
        page.get_by_label("Kata sandi").fill(PASSWORD if username != "admin" else self.password)
        page.get_by_label("Kata sandi").press("Enter")
        expect(page.get_by_role("navigation", name="Navigasi utama")).to_be_visible()
        return page

    def client_as(self, username: str) -> Client:
        return Client(self.base, username, PASSWORD)

    def clean(self) -> None:
        assert self.watch.foreign_requests == [], "requests left the server's origin"
        assert self.watch.page_errors == []
        # only the refused deletion's 409 (provoked on purpose) may show
        assert [e for e in self.watch.console_errors if "status of 409" not in e] == []


def repaired_then_audited(flow: Cockpit) -> None:
    """A failing script puts an instance in error; the administrator retries it from the
    page with corrected data; the auditor checks its chain, replays it, reads the SLA; a
    new version comes and the waiting instance is moved to it, plan first."""
    flow.admin.post("/deployments", files=[("files", (f.name, f.read_bytes()))
                                           for f in sorted(FIXTURE.iterdir())], status=201)
    flow.people(staf1="staf", staf2="staf", auditor1="auditor")
    staf = flow.client_as("staf1")
    failing = staf.post("/process-definitions/budget_division/instances", {}, status=201)
    waiting = staf.post("/process-definitions/budget_division/instances", {}, status=201)
    [task] = failing["open_tasks"]
    staf.post(f"/tasks/{task['id']}/claim")
    staf.post(f"/tasks/{task['id']}/complete", {"data": {"total": 1000, "parts": 0}})
    assert flow.admin.get(f"/process-instances/{failing['id']}")["status"] == "error"

    # the administrator finds it by its status and retries it with corrected data
    page = flow.sign_in_as("admin", "/cockpit")
    expect(page.get_by_role("heading", name="Kokpit proses")).to_be_visible()
    assert_named_controls(page)
    counts = page.get_by_role("list", name="Jumlah menurut status")
    expect(counts.locator("[data-status='error']")).to_have_text("Galat: 1")
    counts.locator("[data-status='error']").click()
    row = page.locator(f"tr[data-instance-id='{failing['id']}']")
    expect(page.locator("tr[data-instance-id]")).to_have_count(1)
    row.get_by_role("link", name="Pembagian anggaran").click()
    incident = page.get_by_test_id("incident")
    expect(incident).to_contain_text("ZeroDivisionError")
    # the heat: the other instance waits at the budget task
    heat = page.get_by_test_id("diagram").locator(".lkj-heat[data-element-id='enter_budget']")
    expect(heat).to_have_text("1")
    flow.shoot(page, "cockpit-incident")
    assert_named_controls(page)
    page.get_by_label("Data perbaikan (JSON, tidak wajib)").fill('{"parts": 4}')
    page.get_by_role("button", name="Jalankan ulang").click()
    expect(page.get_by_role("alert").filter(has_text="alasan")).to_be_visible()  # a reason first
    page.get_by_label("Alasan (dicatat dalam riwayat)").fill("Jumlah bagian salah diisi")
    page.get_by_role("button", name="Jalankan ulang").click()
    expect(page.locator(".lead .badge")).to_have_text("Selesai")
    retried = flow.admin.get(f"/process-instances/{failing['id']}/history",
                             type="instance_retried")["events"][0]["payload"]
    assert retried["data"] == {"parts": 4} and retried["reason"] == "Jumlah bagian salah diisi"
    # staf1 has the waiting one's task open, not yet claimed...
    desk = flow.sign_in_as("staf1", f"/tasks/{waiting['open_tasks'][0]['id']}")
    expect(desk.get_by_role("button", name="Ambil")).to_be_visible()
    # ...when the administrator gives it to staf2
    page.goto(f"{flow.base}/cockpit/instances/{waiting['id']}")
    holders = page.get_by_role("region", name="Pemegang tugas terbuka")
    holders.get_by_label("Berikan «Mengisi anggaran» kepada").select_option("staf2")
    holders.get_by_label("Alasan memberikan «Mengisi anggaran»").fill("staf1 sedang cuti")
    holders.get_by_role("button", name="Berikan").click()
    expect(holders.get_by_test_id("holder")).to_have_text("staf2")
    flow.shoot(page, "cockpit-holders")
    expect(page.get_by_role("region", name="Jejak audit")).to_contain_text(
        "memberikan tugas «Mengisi anggaran» kepada staf2")
    assert_named_controls(page)
    assert flow.admin.get(f"/tasks/{waiting['open_tasks'][0]['id']}")["assignee"] == "staf2"
    # staf1's page still offers it: taking it is refused, said in Indonesian, not the engine's
    # English
    desk.get_by_role("button", name="Ambil").click()
    expect(desk.get_by_role("alert")).to_have_text(
        "Tidak dapat dilakukan sekarang: Tugas ini sudah diambil pengguna lain.")
    expect(desk.get_by_text("Tugas ini sedang dikerjakan oleh staf2.")).to_be_visible()
    desk.context.close()
    # then it is suspended, with its reason in the history
    page.get_by_label("Alasan (dicatat dalam riwayat)").fill("Menunggu pagu definitif")
    page.get_by_role("button", name="Tangguhkan").click()
    expect(page.locator(".lead .badge")).to_have_text("Ditangguhkan")
    expect(page.get_by_role("region", name="Jejak audit")).to_contain_text("Menunggu pagu definitif")
    page.context.close()

    # the auditor: the chain holds, the replay agrees, the bundle downloads
    page = flow.sign_in_as("auditor1", f"/cockpit/instances/{failing['id']}")
    trail = page.get_by_role("region", name="Jejak audit")
    expect(trail.get_by_test_id("chain-verdict")).to_contain_text("Rantai hash utuh")
    expect(trail.locator("tr[data-seq]").first).to_contain_text("memulai proses")
    expect(trail).to_contain_text('"parts": 0')  # the data entered
    trail.get_by_role("button", name="Putar ulang").click()
    expect(trail.get_by_test_id("replay-verdict")).to_contain_text("Konsisten")
    flow.shoot(page, "cockpit-audit")
    assert_named_controls(page)
    with page.expect_download() as download:
        trail.get_by_role("button", name="Unduh bundel audit").click()
    assert download.value.suggested_filename == f"lkj-audit-{failing['id']}.zip"
    # completed tasks by role and by who completed them
    page.get_by_role("link", name="Tugas selesai").click()
    page.get_by_label("Peran").select_option("staf")
    page.get_by_label("Diselesaikan oleh").fill("staf1")
    page.get_by_label("Diselesaikan oleh").press("Enter")
    expect(page.locator(f"tr[data-task-id='{task['id']}']")).to_contain_text("Mengisi anggaran")
    assert_named_controls(page)
    # the SLA page draws its charts from this year's completed task
    page.get_by_role("link", name="Evaluasi SLA").click()
    for chart in ("steps", "durations", "roles", "years"):
        expect(page.get_by_test_id(f"chart-{chart}-canvas")).to_have_attribute("data-drawn", "true")
    expect(page.get_by_role("region", name="Angka per langkah")).to_contain_text("Mengisi anggaran")
    flow.shoot(page, "sla")
    assert_named_controls(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Unduh CSV langkah").click()
    assert download.value.suggested_filename == "lkj-sla-steps.csv"
    page.context.close()

    # a version 2 with the task renamed: the waiting instance is planned over, then moved
    diagram = (FIXTURE / "division.bpmn").read_text().replace(
        'name="Mengisi anggaran"', 'name="Mengisi pagu anggaran"')
    flow.admin.post("/deployments", files=[("files", ("division.bpmn", diagram.encode()))],
                    status=201)
    page = flow.sign_in_as("admin", "/definitions/budget_division/compare")
    expect(page.get_by_test_id("diff-changed")).to_contain_text("Mengisi pagu anggaran")
    page.get_by_role("button", name="Lihat rencana pemindahan").click()
    plan = page.get_by_test_id("move-plan")
    expect(plan.locator("tr[data-instance-id]")).to_have_count(1)
    expect(plan.locator(f"tr[data-instance-id='{waiting['id']}']")).to_contain_text(
        "Dapat dipindahkan ke versi 2")
    assert flow.admin.get(f"/process-instances/{waiting['id']}")["definition_version"] == 1
    page.get_by_role("button", name="Terapkan pemindahan").click()
    expect(plan.locator(f"tr[data-instance-id='{waiting['id']}']")).to_contain_text(
        "Dipindahkan ke versi 2")
    assert flow.admin.get(f"/process-instances/{waiting['id']}")["definition_version"] == 2
    assert_named_controls(page)
    # a version in use is not deleted: the server's reason shown as it is
    page.get_by_role("link", name="Definisi proses").first.click()
    row = page.locator("[data-definition='budget_division'] tr[data-version='2']")
    row.get_by_role("button", name="Hapus versi 2").click()
    row.get_by_role("button", name="Ya, hapus").click()
    expect(page.get_by_role("alert")).to_contain_text("Tidak dapat dilakukan sekarang")
    expect(row).to_be_visible()
    page.context.close()
    flow.clean()


def modelled_and_deployed(flow: Cockpit) -> None:
    """The owner renames a task of lkj_document_approval, changes its due duration and
    deploys version n+1; a broken condition found by the check is drawn on its flow, and
    nothing is deployed; the two versions compared show the one task changed; the process
    is suspended and resumed, the new version deleted."""
    before = flow.admin.get("/process-definitions/lkj_document_approval/versions")["items"]
    latest = before[-1]["version"]
    page = flow.sign_in_as("admin", "/definitions")
    section = page.locator("[data-definition='lkj_document_approval']")
    section.get_by_role("link", name=re.compile(f"Buka versi {latest} ")).click()
    modeler = page.get_by_test_id("modeler")
    task = modeler.locator(".djs-element[data-element-id='draft_document']")
    task.click()
    name = page.get_by_label(re.compile("Nama elemen"))
    expect(name).to_have_value("Menyusun konsep dokumen")
    expect(page.get_by_role("alert")).to_have_count(0)  # the modeler read every part of it
    name.fill("Menyusun konsep naskah dinas")
    name.press("Tab")
    due = page.get_by_label(re.compile("Batas waktu"))
    expect(due).to_have_value("PT2H")  # what the engine reads, beside the diagram
    due.fill("PT4H")
    due.press("Tab")
    expect(page.get_by_label(re.compile("Formulir"))).to_have_value("document_draft")
    page.get_by_role("button", name="Terapkan sebagai versi baru").click()
    expect(page.get_by_role("status").filter(has_text="Diterapkan")).to_contain_text(
        f"versi {latest + 1}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"versi {latest + 1}")
    xml = flow.admin.get(f"/process-definitions/lkj_document_approval/versions/{latest + 1}/xml")
    assert b'name="Menyusun konsep naskah dinas"' in xml
    draft = xml.split(b'id="draft_document"', 1)[1].split(b"</bpmn:userTask>", 1)[0]
    assert b'name="dueDuration" value="PT4H"' in draft
    assert b'name="formKey" value="document_draft"' in draft
    flow.shoot(page, "modeler")

    # a broken condition: refused, drawn on its flow, nothing deployed
    page.get_by_role("button", name="Edit XML").click()
    source = page.get_by_label("XML diagram")
    text = source.input_value()
    assert 'decision == "approve"' in text
    source.fill(text.replace('decision == "approve"', 'decision == = "approve"', 1))
    page.get_by_role("button", name="Pakai XML ini").click()
    page.get_by_role("button", name="Periksa").click()  # the server's check: nothing stored
    expect(page.get_by_role("alert").filter(has_text="masalah")).to_contain_text(
        "Tidak ada yang diterapkan")
    problems = page.get_by_test_id("problems")
    expect(problems).to_contain_text("does not compile")
    overlay = modeler.locator(".lkj-problem").first
    expect(overlay).to_be_visible()
    flagged = overlay.get_attribute("data-element-id")
    assert flagged and modeler.locator(f".djs-element.lkj-invalid[data-element-id='{flagged}']").count() == 1
    flow.shoot(page, "modeler-problem")
    after = flow.admin.get("/process-definitions/lkj_document_approval/versions")["items"]
    assert after[-1]["version"] == latest + 1

    # the two versions compared: only the renamed task changed
    page.get_by_role("link", name="Definisi proses").first.click()
    page.get_by_role("link", name=re.compile("Bandingkan versi Penyusunan dan persetujuan")).click()
    expect(page.get_by_label("Versi baru")).to_have_value(str(latest + 1))
    expect(page.get_by_test_id("diff-changed")).to_have_text(
        re.compile(r"^Menyusun konsep naskah dinas \(draft_document\)$"))
    expect(page.get_by_role("region", name=re.compile("Ditambahkan"))).to_contain_text("—")
    expect(page.get_by_role("region", name=re.compile("Dihapus"))).to_contain_text("—")
    expect(page.get_by_test_id("diagram").locator(
        ".djs-element.lkj-changed[data-element-id='draft_document']")).to_be_attached()
    flow.shoot(page, "compare")

    # the definitions: who deployed the new version, in which deployment; the process
    # suspended and resumed, the new version deleted again, each asked once more
    page.get_by_role("link", name="Definisi proses").first.click()
    # the start rules, read-only: who starts the LKj preparation and with what
    rules = page.locator("[data-definition='lkj_preparation']").get_by_test_id("start-rules")
    expect(rules).to_contain_text("kepala_biro")
    expect(rules).to_contain_text("lkj_start")
    expect(rules).to_contain_text("units")
    section = page.locator("[data-definition='lkj_document_approval']")
    row = section.locator(f"tr[data-version='{latest + 1}']")
    expect(row).to_contain_text("admin")
    expect(row.get_by_test_id("deployment")).to_contain_text("API atau konsol")
    section.get_by_role("button", name=re.compile("^Tangguhkan ")).click()
    section.get_by_role("button", name="Ya, tangguhkan").click()
    expect(section.get_by_test_id("suspended")).to_be_visible()
    assert flow.admin.get("/process-definitions/lkj_document_approval/versions")["items"][-1]["suspended"]
    flow.shoot(page, "definitions")
    assert_named_controls(page)
    section.get_by_role("button", name=re.compile("^Lanjutkan ")).click()
    section.get_by_role("button", name="Ya, lanjutkan").click()
    expect(section.get_by_test_id("suspended")).to_have_count(0)
    row.get_by_role("button", name=f"Hapus versi {latest + 1}").click()
    row.get_by_role("button", name="Ya, hapus").click()
    expect(page.get_by_role("status").filter(has_text="dihapus")).to_contain_text(f"Versi {latest + 1}")
    expect(row).to_have_count(0)
    after = flow.admin.get("/process-definitions/lkj_document_approval/versions")["items"]
    assert after[-1]["version"] == latest and not after[-1]["suspended"]

    # a form edited as JSON with its preview, checked, deployed: each process using it
    # gets a new version
    section.get_by_role("link", name=f"Formulir versi {latest} dari Penyusunan dan persetujuan").click()
    page.get_by_label("Berkas formulir").select_option("document_draft.json")
    text = page.get_by_label("JSON Schema (document_draft.json)")
    preview = page.get_by_test_id("form-preview")
    expect(preview.get_by_label("Ringkasan")).to_be_visible()
    schema = text.input_value()
    text.fill(schema[:-3])
    expect(page.get_by_role("alert").filter(has_text="JSON tidak valid")).to_be_visible()
    expect(page.get_by_role("button", name="Terapkan formulir")).to_be_disabled()
    # valid JSON but no valid schema: the server's check names the problem
    text.fill(schema.replace('"type": "object"', '"type": "objek"', 1))
    page.get_by_role("button", name="Periksa").click()
    expect(page.get_by_test_id("problems")).to_contain_text("document_draft.json")
    text.fill(schema.replace('"title": "Ringkasan"', '"title": "Ringkasan isi"', 1))
    expect(preview.get_by_label("Ringkasan isi")).to_be_visible()
    page.get_by_role("button", name="Periksa").click()
    expect(page.get_by_role("status").filter(has_text="Tidak ada masalah")).to_be_visible()
    flow.shoot(page, "forms")
    assert_named_controls(page)
    page.get_by_role("button", name="Terapkan formulir").click()
    deployed = page.get_by_role("status").filter(has_text="Diterapkan")
    expect(deployed).to_contain_text("lkj_document_approval")
    expect(deployed).to_contain_text("lkj_drafting")
    newest = flow.admin.get("/process-definitions/lkj_document_approval/versions")["items"][-1]
    forms = flow.admin.get(f"/process-definitions/lkj_document_approval/versions/"
                           f"{newest['version']}/forms")["items"]
    draft = next(f for f in forms if f["name"] == "document_draft.json")
    assert draft["schema"]["properties"]["summary"]["title"] == "Ringkasan isi"
    page.context.close()
    camunda_modelled(flow)
    flow.clean()


def camunda_modelled(flow: Cockpit) -> None:
    """A diagram saved by Camunda Modeler: its user tasks' Camunda 7 attributes shown and
    edited beside the diagram, the others kept on deploying; its form-js form previewed."""
    flow.admin.post("/deployments", files=[("files", (f.name, f.read_bytes()))
                                           for f in sorted(CAMUNDA.iterdir())], status=201)
    page = flow.sign_in_as("admin", "/definitions/leave_request/versions/1")
    modeler = page.get_by_test_id("modeler")
    modeler.locator(".djs-element[data-element-id='Activity_review']").click()
    expect(page.get_by_label("Kunci formulir (camunda:formKey)")).to_have_value(
        "camunda-forms:deployment:review.form")
    groups = page.get_by_label(re.compile(r"^Kelompok calon \(camunda:candidateGroups"))
    expect(groups).to_have_value("kepala_bagian, kepala_biro")
    groups.fill("kepala_bagian")
    groups.press("Tab")
    modeler.locator(".djs-element[data-element-id='Activity_submit']").click()
    expect(page.get_by_label("Pelaksana (camunda:assignee)")).to_have_value("${requester}")
    expect(page.get_by_label(re.compile(r"^Rujukan formulir"))).to_have_value("leave_form")
    expect(page.get_by_label("Tenggat (camunda:dueDate)")).to_have_value("${deadline}")
    flow.shoot(page, "modeler-camunda")
    assert_named_controls(page)
    page.get_by_role("button", name="Terapkan sebagai versi baru").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("versi 2")
    xml = flow.admin.get("/process-definitions/leave_request/versions/2/xml")
    review = xml.split(b'id="Activity_review"', 1)[1].split(b">", 1)[0]
    assert b'camunda:candidateGroups="kepala_bagian"' in review
    assert b'camunda:candidateUsers="${deputy}"' in review
    submit = xml.split(b'id="Activity_submit"', 1)[1].split(b">", 1)[0]
    assert b'camunda:formRefBinding="latest"' in submit and b'camunda:assignee="${requester}"' in submit

    # run: the requester's task opens as hers; the review's candidate user (a deputy, by
    # `${deputy}`, not by role) is offered to take it
    flow.people(alice="staf", dewi="deputi")
    alice = flow.client_as("alice")
    started = alice.post("/process-definitions/leave_request/instances", {"variables": {
        "requester": "alice", "deputy": "dewi", "deadline": "2027-01-04T09:00:00Z"}},
        status=201)
    [request] = started["open_tasks"]
    assert (request["state"], request["assignee"]) == ("claimed", "alice")
    done = alice.post(f"/tasks/{request['id']}/complete", {"data": {
        "kind": "annual", "days": 3, "start_date": "2027-01-11"}})
    [review] = done["next_tasks"]
    desk = flow.sign_in_as("dewi", f"/tasks/{review['id']}")
    desk.get_by_role("button", name="Ambil").click()
    expect(desk.get_by_role("button", name="Lepaskan")).to_be_visible()
    assert flow.admin.get(f"/tasks/{review['id']}")["assignee"] == "dewi"
    desk.context.close()

    # its form-js form, as the engine reads it
    page.goto(f"{flow.base}/definitions/leave_request/versions/2/forms")
    page.get_by_label("Berkas formulir").select_option("leave_form.form")
    preview = page.get_by_test_id("form-preview")
    expect(preview.get_by_label("Jumlah hari")).to_be_visible()  # its labels, not its keys
    expect(preview).to_contain_text("Jenis cuti")
    expect(page.get_by_role("button", name="Terapkan formulir")).to_have_count(0)
    page.context.close()


def administered(flow: Cockpit) -> None:
    """The administrator creates a user with its roles, deactivates it, closes a day of the
    working calendar and opens it again, and looks at the notification outbox."""
    page = flow.sign_in_as("admin", "/admin/users")
    page.get_by_label("Nama pengguna", exact=True).fill("kasubbag2")
    page.get_by_label("Nama lengkap").fill("Kepala Subbagian Dua")
    page.locator("#new-password").fill("sandi-yang-panjang-1")
    page.get_by_role("group", name="Peran").get_by_label("Kepala Subbagian").check()
    page.get_by_role("button", name="Buat pengguna").click()
    expect(page.get_by_role("status")).to_contain_text("kasubbag2 dibuat")
    assert_named_controls(page)
    created = [u for u in flow.admin.get("/users")["items"] if u["username"] == "kasubbag2"]
    assert created[0]["roles"] == ["kepala_subbagian"] and created[0]["active"]
    page.get_by_role("button", name="Nonaktifkan kasubbag2").click()
    expect(page.get_by_role("status")).to_contain_text("Perubahan untuk kasubbag2 disimpan")
    expect(page.locator("tr[data-username='kasubbag2']")).to_contain_text("Tidak")
    expect(page.get_by_role("button", name="Aktifkan kasubbag2")).to_be_visible()
    assert [u["active"] for u in flow.admin.get("/users")["items"] if u["username"] == "kasubbag2"] == [False]
    flow.shoot(page, "admin-users")

    page.get_by_role("link", name="Kalender kerja").click()
    year = page.get_by_label("Tahun").input_value()
    day = f"{year}-11-17"
    page.get_by_label("Tanggal").fill(day)
    page.get_by_label("Keterangan").fill("Rapat kerja pimpinan")
    page.get_by_role("button", name="Tutup hari ini").click()
    expect(page.locator(f"tr[data-date='{day}']")).to_contain_text("Rapat kerja pimpinan")
    assert any(d["date"] == day for d in flow.admin.get(f"/calendar/{year}")["closed_days"])
    assert_named_controls(page)
    page.get_by_role("button", name=f"Buka kembali {day}").click()
    expect(page.locator(f"tr[data-date='{day}']")).to_have_count(0)

    page.get_by_role("link", name="Kotak keluar notifikasi").click()
    expect(page.get_by_role("list", name="Jumlah menurut keadaan")).to_contain_text("Gagal: 0")
    page.context.close()
    flow.clean()
