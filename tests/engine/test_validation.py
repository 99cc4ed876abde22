"""Every problem of a deployment in one answer, each placed on its element and line, in the
process owner's words; warnings for what deploys but deserves a look."""
from __future__ import annotations

import subprocess
import sys

import pytest

from engine import usecases
from engine.errors import DiagramInvalid
from engine.workflow import formjs
from engine.workflow.expressions import ExpressionRefused, to_python
from engine.workflow.model import ProcessModel
from engine.workflow.sandbox import check_source
from engine.workflow.validation import timer_problem
from tests.conftest import ADMIN, FIXTURES, ROOT, read_folder
from tests.engine.dialect_diagrams import one_task

DEFECTS = FIXTURES / "dialects" / "defects"


def answer(diagrams, forms=None) -> DiagramInvalid:
    with pytest.raises(DiagramInvalid) as caught:
        ProcessModel.from_sources(diagrams, forms or {})
    return caught.value


def test_a_file_with_twelve_defects_gets_them_all_in_one_answer():
    xml = (DEFECTS / "many_defects.bpmn").read_bytes()
    lines = xml.decode().splitlines()
    found = answer({"many_defects.bpmn": xml})
    placed = {(p["element_id"], p["message"].split(" ")[0]) for p in found.errors}
    assert placed == {
        ("Flow_msg_nowhere", "message"), ("Activity_confirm", "form"), ("Event_late", "timer"),
        ("Activity_nobody", "nobody"), ("Flow_after_late", "sequence"),
        ("Gateway_size", "default"), ("Flow_big", "condition"), ("Activity_compute", "script"),
        ("Event_wait", "timer"), ("Event_paid", "message"), ("Activity_sub", "called"),
        ("Activity_java", "camunda:class")}
    for problem in found.errors:
        assert problem["file"] == "many_defects.bpmn"
        # the line is the element's own (or the line inside it that is wrong)
        line = lines[problem["line"] - 1]
        assert problem["element_id"] in line or line.strip().startswith(
            ("<bpmn:timeDuration", "<bpmn:messageEventDefinition", "<bpmn:script")), line
    assert [w["element_id"] for w in found.warnings] == ["Event_end"]
    assert "cannot draw it" in found.warnings[0]["message"]


def test_defects_in_several_files_and_forms_come_together():
    broken_xml = b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'>"
    bad_form = b'{"components": [{"type": "number", "key": "n", "id": "F1", ' \
               b'"validate": {"min": 5, "max": 1}}], "id": "f", "type": "default"}'
    found = answer({"a.bpmn": broken_xml, "b.bpmn": one_task("p")},
                   {"f.form": bad_form, "g.json": b"{nope"})
    files = sorted({p["file"] for p in found.errors})
    assert files == ["a.bpmn", "b.bpmn", "f.form", "g.json"]
    [xml_problem] = [p for p in found.errors if p["file"] == "a.bpmn"]
    assert xml_problem["message"].startswith("XML syntax") and xml_problem["line"] == 1
    [form_problem] = [p for p in found.errors if p["file"] == "f.form"]
    assert form_problem["element_id"] == "F1" and "minimum is above" in form_problem["message"]


def test_schema_violations_are_placed_and_the_rest_still_checked():
    xml = one_task("p", 'camunda:assignee="a"').replace(
        b'<bpmn:endEvent id="Event_1">', b'<bpmn:endEvent id="Event_1" bogus:x="1" '
        b'xmlns:bogus="urn:x"><bpmn:unknownThing />')
    xml = xml.replace(b'camunda:assignee="a"', b"")
    found = answer({"p.bpmn": xml})
    messages = [p["message"] for p in found.errors]
    assert any(m.startswith("BPMN schema") for m in messages)
    assert any(m.startswith("nobody may work") for m in messages)


@pytest.mark.parametrize(("source", "kind", "problem"), [
    ('"PT1M"', "timeDuration", None),
    ('"P1W"', "timeDuration", None),
    ('"2026-12-31T17:00:00+07:00"', "timeDate", None),
    ('"R3/PT10M"', "timeCycle", None),
    ("deadline", "timeDate", None),  # a variable: evaluated when the timer starts
    ("PERIOD", "timeDuration", None),  # a variable that only starts like a duration
    ('"P%dD" % days', "timeDuration", None),
    # bare ISO 8601 text, as Camunda Modeler writes it, is that text
    ("PT1M", "timeDuration", None),
    ("R3/PT10M", "timeCycle", None),
    ("2026-12-31T17:00:00Z", "timeDate", None),
    ("PT1M", "timeCycle", "is not an ISO 8601 repeating cycle"),
    ("5", "timeDuration", "is a int, not an ISO 8601 duration"),
    ('"soon"', "timeDuration", '"soon" is not an ISO 8601 duration'),
    ('"2026-13-45"', "timeDate", "is not an ISO 8601 date-time"),
    ('"PT1M"', "timeCycle", "is not an ISO 8601 repeating cycle"),
    ("deadline +", "timeDate", "does not compile"),
])
def test_timer_values_are_evaluated_as_at_run_time(source, kind, problem):
    found = timer_problem(source, kind)
    assert (found is None) if problem is None else (problem in found), found


@pytest.mark.parametrize(("expression", "python"), [
    ("${approved}", "approved"),
    ("${amount > 1000 && !rejected}", "((amount > 1000) and (not rejected))"),
    ("${kind eq 'annual' or kind == \"sick\"}", "((kind == 'annual') or (kind == 'sick'))"),
    ("${days le 12 and days ge 1}", "((days <= 12) and (days >= 1))"),
    ("${not (a lt b)}", "(not ((a < b)))"),
    ("${empty note}", "(note is None or note == '' or note == [] or note == {})"),
    ("${order.total > 5}", "(order['total'] > 5)"),
    ("${x == null || y != true}", "((x == None) or (y != True))"),
    ("#{n * 2 - 1 ne 3}", "(((n * 2) - 1) != 3)"),
])
def test_camunda_expressions_become_python_for_the_sandbox(expression, python):
    assert to_python(expression) == python
    assert check_source(python, "eval") is None


@pytest.mark.parametrize(("expression", "why"), [
    ("${order.total() > 5}", "method call"),
    ("${myBean.check(order)}", "method call"),
    ("${approve(x)}", "function or bean call"),
    ("${a ? b : c}", "conditional operator"),
    ("${fn:length(x)}", "function of Java's expression language"),
    ("total is ${x}", "text around ${...}"),
    ("${x ==}", "ends too early"),
])
def test_expressions_outside_the_subset_are_refused_with_the_reason(expression, why):
    with pytest.raises(ExpressionRefused, match=why.replace("(", r"\(").replace(")", r"\)")
                       .replace("?", r"\?").replace("$", r"\$").replace("{", r"\{")
                       .replace("}", r"\}").replace(".", r"\.")):
        to_python(expression)


def test_java_only_implementations_are_refused_naming_the_element():
    for attribute in ('camunda:class="a.B"', 'camunda:delegateExpression="${b}"'):
        xml = one_task("p", attribute, task_kind="serviceTask")
        [problem] = answer({"p.bpmn": xml}).errors
        assert problem["element_id"] == "Activity_1" and "Java" in problem["message"], problem


def test_external_workers_run_service_tasks_only():
    external = 'camunda:type="external" camunda:topic="t"'
    ProcessModel.from_sources({"p.bpmn": one_task("p", external, task_kind="serviceTask")}, {})
    [problem] = answer({"p.bpmn": one_task("p", 'camunda:type="connector"',
                                          task_kind="serviceTask")}).errors
    assert problem["element_id"] == "Activity_1" and "'connector'" in problem["message"]


def test_camunda_listeners_and_foreign_scripts_are_refused():
    listener = ('<camunda:taskListener class="com.example.Notify" event="create" />')
    [problem] = answer({"p.bpmn": one_task("p", 'camunda:assignee="a"', listener)}).errors
    assert problem["element_id"] == "Activity_1" and "taskListener" in problem["message"]
    groovy = one_task("p", 'scriptFormat="groovy"', task_kind="scriptTask")
    [problem] = answer({"p.bpmn": groovy}).errors
    assert "script format 'groovy'" in problem["message"]


def test_warnings_for_what_deploys_but_deserves_a_look(ctx):
    lonely_lane = one_task("p", 'camunda:assignee="a"').replace(
        b'<bpmn:process id="p" isExecutable="true" camunda:historyTimeToLive="180">',
        b'<bpmn:process id="p" isExecutable="true" camunda:historyTimeToLive="180">'
        b'<bpmn:laneSet id="LS"><bpmn:lane id="Lane_empty" name="Kosong" /></bpmn:laneSet>')
    not_executable = one_task("q", 'camunda:assignee="a"').replace(
        b'isExecutable="true"', b'isExecutable="false"')
    documentation_only = one_task("r", 'camunda:assignee="a"').replace(
        b'<bpmndi:BPMNDiagram', b'<bpmn:process id="notes" isExecutable="false" />'
                                b'<bpmndi:BPMNDiagram')
    view = usecases.deploy(ctx, ADMIN, {"p.bpmn": lonely_lane, "q.bpmn": not_executable,
                                        "r.bpmn": documentation_only}, {})
    # A file with no executable process is deployed as drawn (bpmn.io marks every new process
    # non-executable); beside an executable one, a non-executable process is left out.
    assert [d.key for d in view.definitions] == ["p", "q", "r"]
    warned = {(w["file"], w["element_id"]): w["message"] for w in view.warnings}
    assert set(warned) == {("p.bpmn", "Lane_empty"), ("q.bpmn", "q"), ("r.bpmn", "notes")}
    assert "deployed as executable" in warned[("q.bpmn", "q")]
    assert "nothing is deployed from it" in warned[("r.bpmn", "notes")]


# ---------------------------------------------------------------- form-js

LEAVE_FORM = (FIXTURES / "dialects" / "camunda" / "leave_form.form").read_bytes()


def leave_schema() -> dict:
    import json
    return formjs.to_json_schema(json.loads(LEAVE_FORM), "leave_form.form")


GOOD = {"kind": "annual", "days": 3, "start_date": "2026-04-01", "reason": "keluarga",
        "contact": {"phone": "081234567890"}, "covered_by": ["team"]}


@pytest.mark.parametrize(("change", "field"), [
    ({"kind": "unpaid"}, "kind"),  # not an option
    ({"days": 0}, "days"),  # below min
    ({"days": 31}, "days"),  # above max
    ({"days": 2.5}, "days"),  # decimalDigits 0
    ({"days": "3"}, "days"),  # type
    ({"reason": "ok"}, "reason"),  # minLength
    ({"reason": "x" * 201}, "reason"),  # maxLength
    ({"contact": {"phone": "12"}}, "contact.phone"),  # pattern
    ({"start_date": "1 April"}, "start_date"),  # a date
    ({"covered_by": ["boss"]}, "covered_by.0"),  # checklist options
    ({"extra": 1}, "extra"),  # undeclared
])
def test_form_js_submissions_are_checked_like_json_schema(change, field):
    from engine.errors import FormInvalid
    from engine.workflow import forms
    schema = leave_schema()
    forms.validate(schema, GOOD, lambda _: False)
    with pytest.raises(FormInvalid) as caught:
        forms.validate(schema, {**GOOD, **change}, lambda _: False)
    assert field in caught.value.errors, caught.value.errors


def test_form_js_required_fields():
    from engine.errors import FormInvalid
    from engine.workflow import forms
    with pytest.raises(FormInvalid) as caught:
        forms.validate(leave_schema(), {}, lambda _: False)
    assert set(caught.value.errors) == {"kind", "days", "start_date"}


@pytest.mark.parametrize(("component", "words"), [
    ({"type": "textfield", "id": "F1"}, "has no key"),
    ({"type": "slider", "id": "F1", "key": "s"}, "not known to form-js"),
    ({"type": "textfield", "id": "F1", "key": "t", "validate": {"pattern": "("}},
     "not a valid regular expression"),
    ({"type": "number", "id": "F1", "key": "n", "validate": {"min": "one"}}, "must be a number"),
    ({"type": "select", "id": "F1", "key": "s", "values": ["a"]}, "list of {label, value}"),
])
def test_bad_form_js_components_are_named(component, words):
    document = {"id": "f", "type": "default", "components": [component]}
    with pytest.raises(formjs.FormJsInvalid) as caught:
        formjs.to_json_schema(document, "f.form")
    [(element, message)] = caught.value.problems
    assert element == "F1" and words in message


# ---------------------------------------------------------------- the command line

def test_lkj_deploy_check_prints_file_line_column_element_message(tmp_path):
    (tmp_path / "forms").mkdir()
    (tmp_path / "bpmn").mkdir()
    (tmp_path / "bpmn" / "many_defects.bpmn").write_bytes(
        (DEFECTS / "many_defects.bpmn").read_bytes())
    done = subprocess.run([sys.executable, "-m", "cli.main", "deploy", "--check",
                           "--bpmn-dir", str(tmp_path / "bpmn"),
                           "--forms-dir", str(tmp_path / "forms")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout
    lines = done.stderr.splitlines()
    assert "many_defects.bpmn:85: Activity_java: camunda:class names a Java class, which only " \
           "a Java engine runs; use a script task (Python) instead" in lines
    assert "many_defects.bpmn:90: Event_end: warning: no diagram interchange (BPMNShape) for " \
           "this element: modelers and the console cannot draw it" in lines
    assert lines[-1] == "12 problems in the deployment"


def test_lkj_deploy_check_of_the_dialect_fixtures_passes(tmp_path):
    folder = FIXTURES / "dialects" / "camunda"
    done = subprocess.run([sys.executable, "-m", "cli.main", "deploy", "--check",
                           "--bpmn-dir", str(folder), "--forms-dir", str(folder)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "processes leave_request are valid" in done.stdout
    assert read_folder(folder)[1].keys() == {"leave_form.form", "review.form"}
