"""CI wrappers for the Node diagram tooling (tools/*.mjs) and a structural check of bpmn/.

The tests named *_bpmn_dir run over the real diagrams in bpmn/ and fail if it holds none.
The tests named *_fixture check the tooling itself on tests/fixtures/tooling/sample.bpmn and
on broken variants of it, so a tool that silently stops detecting problems fails here.
Node tooling needs `npm ci`; rendering needs /usr/bin/chromium (`apt-get install -y chromium`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.worktime.calendar import parse_duration

REPO = Path(__file__).resolve().parents[2]
BPMN_DIR = REPO / "bpmn"
FORMS_DIR = REPO / "forms"
PNG_DIR = REPO / "docs" / "diagrams"
SAMPLE = REPO / "tests" / "fixtures" / "tooling" / "sample.bpmn"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))  # as tools/render-diagrams.mjs
MAIN_PROCESSES = ("lkj_preparation", "lkj_complaint")  # named in docs/modelling.md
NODE_PACKAGES = ("bpmnlint", "bpmn-moddle", "bpmn-js", "playwright-core")  # package.json

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
SPIFF_NS = NS["spiffworkflow"]


# --- helpers ---------------------------------------------------------------------------------


def run_tool(script: str, *args: str | Path, timeout: int = 600) -> subprocess.CompletedProcess:
    if shutil.which("node") is None:
        pytest.fail("`node` is not on PATH: install Node.js 20+ and run `npm ci`")
    missing = [p for p in NODE_PACKAGES if not (REPO / "node_modules" / p / "package.json").is_file()]
    if missing:
        pytest.fail(f"node_modules/ lacks {', '.join(missing)}: run `npm ci` in the repository root")
    return subprocess.run(
        ["node", str(REPO / "tools" / script), *map(str, args)],
        cwd=REPO, capture_output=True, text=True, timeout=timeout,
    )


def output(proc: subprocess.CompletedProcess) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


def real_diagrams() -> list[Path]:
    files = sorted(BPMN_DIR.glob("*.bpmn"))
    if not files:
        pytest.fail(f"{BPMN_DIR} holds no .bpmn files: nothing to check")
    return files


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"NOT RENDERED: {CHROMIUM} is missing (apt-get install -y chromium)")


def variant(tmp_path: Path, name: str, edit) -> Path:
    """A copy of the sample diagram changed by edit(text) -> text, alone in its own folder."""
    folder = tmp_path / name
    folder.mkdir()
    text = SAMPLE.read_text(encoding="utf-8")
    changed = edit(text)
    assert changed != text, f"variant {name}: the edit changed nothing"
    (folder / f"{name}.bpmn").write_text(changed, encoding="utf-8")
    return folder


def sample_alone(tmp_path: Path) -> Path:
    """The sample diagram alone in a folder (the fixture folder may hold more files)."""
    folder = tmp_path / "original"
    folder.mkdir()
    shutil.copy(SAMPLE, folder)
    return folder


def drop(pattern: str):
    return lambda text: re.sub(pattern, "", text, flags=re.S)


# --- what SpiffWorkflow reads from a folder of diagrams --------------------------------------


def parse_specs(folder: Path) -> dict:
    parser = SpiffBpmnParser()  # no XSD validator, as engine/workflow/model.py parses deployments
    parser.add_bpmn_files(sorted(str(p) for p in folder.glob("*.bpmn")))
    return parser.find_all_specs()


def serialized_specs(specs: dict) -> dict:
    """Every process spec as SpiffWorkflow serializes it, without the file path."""
    registry = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG)).registry

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "file"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return {pid: strip(registry.convert(spec)) for pid, spec in specs.items()}


def ref_id(ref):
    return None if ref is None else (ref.bpmn_id, ref.bpmn_name)


def task_facts(specs: dict) -> tuple[dict, dict]:
    """(extensions, multi-instance loop data) of every task spec, keyed by (process, task)."""
    extensions, loops = {}, {}
    for pid, spec in specs.items():
        for name, ts in spec.task_specs.items():
            extensions[(pid, name)] = getattr(ts, "extensions", None)
            if hasattr(ts, "input_item"):  # MultiInstanceTask
                loops[(pid, name)] = {
                    "loopDataInputRef": ref_id(ts.data_input),
                    "loopDataOutputRef": ref_id(ts.data_output),
                    "inputDataItem": ref_id(ts.input_item),
                    "outputDataItem": ref_id(ts.output_item),
                    "loopCardinality": ts.cardinality,
                    "completionCondition": ts.condition,
                }
    return extensions, loops


def spiff_xml_extensions(path: Path) -> Counter:
    """Every spiffworkflow:* element and attribute in a file, located by the nearest id.

    Lane properties (the role) are not in SpiffWorkflow's specs, so they are compared here.
    Text is compared exactly for leaf elements (scripts keep their whitespace).
    """
    found = Counter()
    for el in etree.parse(str(path)).iter():
        if not isinstance(el.tag, str):
            continue  # comments, processing instructions
        owner = next((a.get("id") for a in el.iterancestors() if a.get("id")), None)
        qname = etree.QName(el)
        if qname.namespace == SPIFF_NS:
            text = el.text if len(el) == 0 else None
            found[(owner, qname.localname, tuple(sorted(el.attrib.items())), text)] += 1
        for attr, value in el.attrib.items():
            if etree.QName(attr).namespace == SPIFF_NS:
                found[(el.get("id") or owner, qname.localname, attr, value)] += 1
    return found


def assert_same_for_engine(original: Path, saved: Path) -> None:
    for path in sorted(original.glob("*.bpmn")):
        before, after = spiff_xml_extensions(path), spiff_xml_extensions(saved / path.name)
        assert before == after, (
            f"{path.name}: spiffworkflow extensions changed on save\n"
            f"lost: {sorted((before - after).elements(), key=repr)}\n"
            f"added: {sorted((after - before).elements(), key=repr)}"
        )
    specs_before = parse_specs(original)
    try:
        specs_after = parse_specs(saved)
    except Exception as error:  # noqa: BLE001 - e.g. a multi-instance that lost its loopDataInputRef
        raise AssertionError(f"saved files no longer parse with SpiffBpmnParser: {error}") from error
    assert specs_before.keys() == specs_after.keys()
    ext_before, loops_before = task_facts(specs_before)
    ext_after, loops_after = task_facts(specs_after)
    for key, loop in loops_before.items():
        assert loops_after.get(key) == loop, f"multi-instance refs of {key} changed on save: {loop} -> {loops_after.get(key)}"
    for key, ext in ext_before.items():
        assert ext_after.get(key) == ext, f"extensions of {key} changed on save: {ext} -> {ext_after.get(key)}"
    full_before, full_after = serialized_specs(specs_before), serialized_specs(specs_after)
    for pid in full_before:
        for name, ts in full_before[pid]["task_specs"].items():
            assert full_after[pid]["task_specs"].get(name) == ts, (
                f"task spec {pid}/{name} changed on save:\n{json.dumps(ts, indent=1, default=str)}\n"
                f"->\n{json.dumps(full_after[pid]['task_specs'].get(name), indent=1, default=str)}"
            )
        assert full_after[pid] == full_before[pid], f"process spec {pid} changed on save"


# --- structural check: the contract of docs/modelling.md --------------------------------------


def structural_problems(files: list[Path], forms_dir: Path | None, required: tuple[str, ...]) -> list[str]:
    problems = []
    process_ids, called = {}, []
    for path in files:
        tree = etree.parse(str(path))
        xp = lambda node, q: node.xpath(q, namespaces=NS)  # noqa: E731
        drawn = set(xp(tree, "//bpmndi:BPMNShape/@bpmnElement | //bpmndi:BPMNEdge/@bpmnElement"))
        lane_of = {}
        for lane in xp(tree, "//bpmn:lane[not(bpmn:childLaneSet)]"):  # parent lanes carry no role
            role = xp(lane, "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name='role']/@value")
            role = role[0] if role else None
            for ref in xp(lane, "./bpmn:flowNodeRef/text()"):
                lane_of[ref.strip()] = (lane.get("id"), role)
        for process in xp(tree, "//bpmn:process"):
            process_ids[process.get("id")] = (path.name, process.get("isExecutable"))
        for node in xp(tree, "//bpmn:process//*[@id]"):
            local = etree.QName(node).localname
            is_flow = local == "sequenceFlow" or local.endswith(("Task", "Event", "Gateway")) or local in (
                "task", "subProcess", "callActivity", "transaction")
            if is_flow and node.get("id") not in drawn:
                problems.append(f"{path.name}: {local} {node.get('id')} has no DI (BPMNShape/BPMNEdge)")
            if local == "callActivity":
                called.append((path.name, node.get("id"), node.get("calledElement")))
        for task in xp(tree, "//bpmn:userTask"):
            where = f"{path.name}: userTask {task.get('id')}"
            # A task inside a sub-process stands in the lane of that sub-process (as in SpiffWorkflow).
            holder = next((n for n in [task, *task.iterancestors()] if n.get("id") in lane_of), None)
            if holder is None:
                problems.append(f"{where} stands in no lane")
            elif not lane_of[holder.get("id")][1]:
                problems.append(f"{where}: its lane {lane_of[holder.get('id')][0]} has no role property")
            props = dict(
                (p.get("name"), p.get("value"))
                for p in xp(task, "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property")
            )
            form_key = props.get("formKey")
            if not form_key:
                problems.append(f"{where} has no formKey property")
            elif forms_dir is not None and not (forms_dir / f"{form_key}.json").is_file():
                problems.append(f"{where}: formKey {form_key!r} but forms/{form_key}.json does not exist")
            if "dueDuration" in props:
                try:
                    parse_duration(props["dueDuration"])
                except ValueError:
                    problems.append(f"{where}: dueDuration {props['dueDuration']!r} is not an ISO 8601 duration")
    for pid in required:
        if pid not in process_ids:
            problems.append(f"process {pid} is missing")
        elif process_ids[pid][1] != "true":
            problems.append(f"{process_ids[pid][0]}: process {pid} is not isExecutable=\"true\"")
    for file, cid, target in called:
        if target not in process_ids:
            problems.append(f"{file}: callActivity {cid} calls {target!r}, which no file defines")
        elif process_ids[target][1] != "true":
            problems.append(f"{file}: callActivity {cid} calls {target}, which is not isExecutable=\"true\"")
    try:  # XSD-valid, and everything needed to start each required process (call activities too)
        parser = SpiffBpmnParser(validator=VALIDATOR)
        parser.add_bpmn_files([str(p) for p in files])
        for pid in required:
            if pid in process_ids:
                parser.get_spec(pid)
                parser.get_subprocess_specs(pid)
    except Exception as error:  # noqa: BLE001 - any parse error is a finding
        problems.append(f"SpiffBpmnParser: {type(error).__name__}: {error}")
    return problems


# --- (a) bpmnlint -----------------------------------------------------------------------------


def test_lint_bpmn_dir():
    real_diagrams()
    proc = run_tool("lint-bpmn.mjs")
    assert proc.returncode == 0, output(proc)


def test_lint_fixture_passes_and_problems_fail(tmp_path):
    proc = run_tool("lint-bpmn.mjs", SAMPLE)
    assert proc.returncode == 0, output(proc)
    overlap = variant(tmp_path, "overlap", lambda t: t.replace('<dc:Bounds x="620" y="110"', '<dc:Bounds x="300" y="120"'))
    proc = run_tool("lint-bpmn.mjs", overlap)
    assert proc.returncode != 0 and "no-overlapping-elements" in proc.stdout, output(proc)


def test_lint_refuses_empty_list(tmp_path):
    proc = run_tool("lint-bpmn.mjs", tmp_path)
    assert proc.returncode != 0 and "no .bpmn files" in proc.stderr, output(proc)


# --- (b) bpmn-moddle round trip ---------------------------------------------------------------


def test_roundtrip_bpmn_dir(tmp_path):
    real_diagrams()
    proc = run_tool("moddle-roundtrip.mjs", "--out", tmp_path)
    assert proc.returncode == 0, output(proc)
    assert_same_for_engine(BPMN_DIR, tmp_path)


def test_roundtrip_fixture_keeps_what_the_engine_reads(tmp_path):
    proc = run_tool("moddle-roundtrip.mjs", "--out", tmp_path / "out", SAMPLE)
    assert proc.returncode == 0, output(proc)
    assert_same_for_engine(sample_alone(tmp_path), tmp_path / "out")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (drop(r"<spiffworkflow:preScript>.*?</spiffworkflow:preScript>"), "spiffworkflow extensions changed"),
        (lambda t: t.replace('value="satuan_kerja:{unit}"', 'value="satuan_kerja"'), "spiffworkflow extensions changed"),
        (drop(r"<bpmn:loopDataInputRef>units</bpmn:loopDataInputRef>\s*"), "no longer parse"),
        (lambda t: t.replace('<bpmn:inputDataItem id="unit" name="unit" />', '<bpmn:inputDataItem id="u" />'), "multi-instance refs"),
        (lambda t: t.replace("approved == False", "approved != True"), "changed on save"),
    ],
    ids=["preScript", "lane-role", "loopDataInputRef", "inputDataItem", "condition"],
)
def test_engine_comparison_detects_loss(tmp_path, edit, expected):
    # assert_same_for_engine must see each kind of loss a modeler save could cause.
    saved = variant(tmp_path, "sample", edit)
    with pytest.raises(AssertionError, match=expected):
        assert_same_for_engine(sample_alone(tmp_path), saved)


def test_roundtrip_reports_plain_variable_loop_ref(tmp_path):
    # A loopDataInputRef naming a task-data variable (not an element id) is fine for
    # SpiffWorkflow but unresolved for bpmn-moddle, which drops it on save.
    folder = variant(tmp_path, "plain_ref", lambda t: t.replace(">units</bpmn:loopDataInputRef>", ">unit_codes</bpmn:loopDataInputRef>"))
    proc = run_tool("moddle-roundtrip.mjs", "--out", tmp_path / "out", folder)
    assert proc.returncode == 1, output(proc)
    assert "unresolved reference <unit_codes> (element Task_unit_report, property bpmn:loopDataInputRef, line" in proc.stderr, output(proc)
    assert "loopDataInputRef" not in (tmp_path / "out" / "plain_ref.bpmn").read_text(encoding="utf-8")


# Scenarios for tests/procedure/driver.py: (function name, positional args, keyword args).
DRIVER_SCENARIOS = {
    "lkj_cycle_with_revisions": ("drive_lkj_cycle", (["DEP1", "DEP2", "DEP3"],), {"incomplete_unit": "DEP2"}),
    "lkj_cycle_straight": ("drive_lkj_cycle", (["DEP1"],), {"revise_at": ()}),
    "complaint_delegated": ("drive_complaint", ("DEP1",), {"delegate": True}),
    "complaint_direct": ("drive_complaint", ("DEP1",), {"delegate": False}),
}


def test_driver_same_steps_after_roundtrip(tmp_path):
    """The engine runs the modeler-saved diagrams (forms/ as is) through the same user tasks."""
    real_diagrams()
    from tests.procedure import driver

    proc = run_tool("moddle-roundtrip.mjs", "--out", tmp_path)
    assert proc.returncode == 0, output(proc)
    for scenario, (function, args, kwargs) in DRIVER_SCENARIOS.items():
        drive = getattr(driver, function)
        original = drive(BPMN_DIR, *args, **kwargs)
        saved = drive(tmp_path, *args, **kwargs)
        assert original, f"{scenario}: the driver completed no user task on bpmn/"
        assert saved == original, (
            f"{scenario}: (role, task, process) steps differ after the bpmn-moddle round trip\n"
            f"bpmn/:  {original}\nsaved: {saved}"
        )


# --- (c) rendering ----------------------------------------------------------------------------


def test_render_bpmn_dir(tmp_path):
    files = real_diagrams()
    require_chromium()
    proc = run_tool("render-diagrams.mjs", "--out", tmp_path)
    assert proc.returncode == 0, output(proc)
    for path in files:
        png = tmp_path / f"{path.stem}.png"
        assert png.is_file() and png.stat().st_size > 1000, f"{png} missing or empty"


def test_committed_pngs_match_diagrams():
    # Existence only: a stale PNG is not detected (pixels differ between Chromium builds).
    diagrams = {p.stem for p in real_diagrams()}
    pngs = {p.stem for p in PNG_DIR.glob("*.png")}
    assert diagrams == pngs, (
        f"docs/diagrams/ is out of step with bpmn/ (run `npm run render`): "
        f"missing {sorted(diagrams - pngs)}, orphaned {sorted(pngs - diagrams)}"
    )


# Broken variants of the sample, each with what render-diagrams.mjs must say about it.
RENDER_VARIANTS = {
    "no_di": (drop(r"<bpmndi:BPMNDiagram.*</bpmndi:BPMNDiagram>"), ["import error: no diagram to display"]),
    "missing_di": (
        drop(r'<bpmndi:BPMNEdge id="Flow_to_check_di".*?</bpmndi:BPMNEdge>'
             r'|<bpmndi:BPMNShape id="EndEvent_rejected_di".*?</bpmndi:BPMNShape>'),
        ["no DI: bpmn:SequenceFlow Flow_to_check", "no DI: bpmn:EndEvent EndEvent_rejected"],
    ),
    "overlap": (
        lambda t: t.replace('<dc:Bounds x="620" y="110"', '<dc:Bounds x="300" y="120"'),
        ["overlap: Task_collect_units and Task_check"],
    ),
    "bad_ref": (
        lambda t: t.replace('sourceRef="Task_check"', 'sourceRef="Task_nowhere"'),
        ["import warning: unresolved reference <Task_nowhere> (element Flow_to_gateway)"],
    ),
}


def test_render_fixture_and_broken_variants(tmp_path):
    # One Chromium run for all: the sample renders, and each variant is reported by id.
    require_chromium()
    folder = tmp_path / "diagrams"
    folder.mkdir()
    shutil.copy(SAMPLE, folder)
    for name, (edit, _) in RENDER_VARIANTS.items():
        shutil.copy(variant(tmp_path, name, edit) / f"{name}.bpmn", folder)
    proc = run_tool("render-diagrams.mjs", "--out", tmp_path / "png", folder)
    assert proc.returncode == 1, output(proc)
    assert f"render: {len(RENDER_VARIANTS)} of {len(RENDER_VARIANTS) + 1} diagram(s) failed" in proc.stderr, output(proc)
    assert "sample: 0 problem(s)" in proc.stdout, output(proc)
    assert (tmp_path / "png" / "sample.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for name, (_, expected) in RENDER_VARIANTS.items():
        for message in expected:
            assert f"{name}: {message}" in proc.stderr, output(proc)


# --- (d) structural check ---------------------------------------------------------------------


def test_structure_bpmn_dir():
    problems = structural_problems(real_diagrams(), FORMS_DIR, MAIN_PROCESSES)
    assert not problems, "\n".join(problems)


def test_structure_fixture(tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    for key in ("unit_report", "approval_check"):
        (forms / f"{key}.json").write_text("{}", encoding="utf-8")
    assert structural_problems([SAMPLE], forms, ("tooling_sample",)) == []
    (forms / "unit_report.json").unlink()
    broken = variant(tmp_path, "broken", lambda t: t.replace('value="staf"', 'value=""').replace('"P2D"', '"2 days"'))
    problems = structural_problems(sorted(broken.glob("*.bpmn")), forms, ("tooling_sample", "lkj_preparation"))
    assert sorted(problems) == sorted([
        "broken.bpmn: userTask Task_unit_report: formKey 'unit_report' but forms/unit_report.json does not exist",
        "broken.bpmn: userTask Task_check: its lane lane_staf has no role property",
        "broken.bpmn: userTask Task_check: dueDuration '2 days' is not an ISO 8601 duration",
        "process lkj_preparation is missing",
    ]), problems
