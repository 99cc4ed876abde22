"""Messages and signals reach exactly the instances that wait for them (by variable, by
business key, by instance), start processes at message and signal start events, and pass
between instances when a diagram throws them; replay reproduces every instance."""
from __future__ import annotations

import pytest

from engine import usecases
from engine.errors import EventNotReceived, Forbidden, InvalidInput
from tests.conftest import ADMIN, actor
from tests.engine import bpmn_events as b
from tests.engine import diagrams as d

STAF = actor("staf1", "staf")
AUDITOR = actor("aud", "auditor")
WORKER = actor("sistem_surat", "worker")
APPROVAL = b.message("m_approval", "persetujuan")
CANCELLED = b.signal("s_cancel", "rapat_dibatalkan")


def deploy(ctx, pid, nodes, **kwargs):
    usecases.deploy(ctx, ADMIN, {f"{pid}.bpmn": b.chain(pid, nodes, **kwargs)},
                    {"simple.json": d.SIMPLE_FORM})


def waits_for_approval(ctx):
    deploy(ctx, "waits", [("approval", b.catch("approval", b.message_ref("m_approval"))),
                          ("after", d.user_task("after"))], definitions=APPROVAL)


def open_elements(ctx, instance_id):
    return [t.element_id for t in usecases.get_instance(ctx, ADMIN, instance_id).open_tasks]


def variables_of_open_task(ctx, instance_id):
    [task] = usecases.get_instance(ctx, ADMIN, instance_id).open_tasks
    return usecases.get_task_variables(ctx, ADMIN, task.id)


def assert_replays(ctx, *instance_ids):
    for instance_id in instance_ids:
        report = usecases.replay_instance(ctx, AUDITOR, instance_id)
        assert report.consistent, report.divergence


def test_a_message_reaches_only_the_instance_its_correlation_names(ctx):
    waits_for_approval(ctx)
    one = usecases.start_instance(ctx, ADMIN, "waits", {"nomor": 1})
    two = usecases.start_instance(ctx, ADMIN, "waits", {"nomor": 2})
    assert open_elements(ctx, one.id) == open_elements(ctx, two.id) == []
    [reached] = usecases.correlate_message(ctx, WORKER, "persetujuan", {"disetujui": True},
                                           correlation={"nomor": 2})
    assert (reached.process_instance_id, reached.elements, reached.started) == (
        two.id, ("approval",), False)
    assert open_elements(ctx, two.id) == ["after"] and open_elements(ctx, one.id) == []
    assert variables_of_open_task(ctx, two.id)["disetujui"] is True
    with pytest.raises(EventNotReceived):  # nobody waits with nomor 2 any more
        usecases.correlate_message(ctx, WORKER, "persetujuan", correlation={"nomor": 2})
    assert_replays(ctx, one.id, two.id)


def test_a_message_reaches_the_instance_of_its_business_key_or_id(ctx):
    waits_for_approval(ctx)
    a = usecases.start_instance(ctx, ADMIN, "waits", {}, business_key="SURAT-001")
    bee = usecases.start_instance(ctx, ADMIN, "waits", {}, business_key="SURAT-002")
    c = usecases.start_instance(ctx, ADMIN, "waits", {})
    assert usecases.get_instance(ctx, ADMIN, a.id).business_key == "SURAT-001"
    [reached] = usecases.correlate_message(ctx, WORKER, "persetujuan", business_key="SURAT-002")
    assert reached.process_instance_id == bee.id
    [reached] = usecases.correlate_message(ctx, WORKER, "persetujuan", process_instance_id=c.id)
    assert reached.process_instance_id == c.id
    assert open_elements(ctx, a.id) == []
    assert_replays(ctx, a.id, bee.id, c.id)


def test_a_message_starts_a_process_at_its_message_start_event(ctx):
    xml = b.chain("incoming", [("check", d.user_task("check"))], definitions=b.message(
        "m_report", "laporan_masuk")).replace(
        b'<bpmn:startEvent id="start" />',
        b'<bpmn:startEvent id="start"><bpmn:messageEventDefinition messageRef="m_report" />'
        b'</bpmn:startEvent>')
    usecases.deploy(ctx, ADMIN, {"incoming.bpmn": xml}, {"simple.json": d.SIMPLE_FORM})
    [reached] = usecases.correlate_message(ctx, WORKER, "laporan_masuk", {"perihal": "banjir"},
                                           business_key="LAP-7")
    assert (reached.definition_key, reached.elements, reached.started) == (
        "incoming", ("start",), True)
    instance = usecases.get_instance(ctx, ADMIN, reached.process_instance_id)
    assert instance.business_key == "LAP-7" and open_elements(ctx, instance.id) == ["check"]
    assert variables_of_open_task(ctx, instance.id)["perihal"] == "banjir"
    assert_replays(ctx, instance.id)


def test_receive_tasks_and_message_boundary_events(ctx):
    interrupt = b.boundary("withdrawn", "work", b.message_ref("m_withdraw"))
    deploy(ctx, "receiving", [("receive", '<bpmn:receiveTask id="receive" messageRef="m_approval" />'),
                              ("work", d.user_task("work"))],
           extra_nodes=[interrupt, '<bpmn:endEvent id="end_withdrawn" />'],
           extra_flows=[b.flow("fw", "withdrawn", "end_withdrawn")],
           definitions=APPROVAL + b.message("m_withdraw", "ditarik"))
    instance = usecases.start_instance(ctx, ADMIN, "receiving", {})
    usecases.correlate_message(ctx, WORKER, "persetujuan")
    assert open_elements(ctx, instance.id) == ["work"]
    [reached] = usecases.correlate_message(ctx, WORKER, "ditarik")
    assert reached.elements == ("withdrawn",)
    assert usecases.get_instance(ctx, ADMIN, instance.id).status == "completed"
    assert_replays(ctx, instance.id)


def test_nobody_waiting_is_a_clear_not_found_and_bad_input_is_refused(ctx):
    waits_for_approval(ctx)
    with pytest.raises(EventNotReceived):
        usecases.correlate_message(ctx, WORKER, "tidak_ada")
    with pytest.raises(InvalidInput) as refused:
        usecases.correlate_message(ctx, WORKER, "", variables=[1], correlation="x")
    assert set(refused.value.errors) == {"name", "variables", "correlation"}
    with pytest.raises(Forbidden):
        usecases.correlate_message(ctx, STAF, "persetujuan")
    with pytest.raises(Forbidden):
        usecases.broadcast_signal(ctx, STAF, "rapat_dibatalkan")


def test_a_thrown_message_reaches_the_instance_of_the_same_business_key(ctx):
    waits_for_approval(ctx)
    deploy(ctx, "approves", [("decide", d.user_task("decide")),
                             ("send", b.throw("send", b.message_ref("m_approval", '{"value": value}')))],
           definitions=APPROVAL)
    waiting = usecases.start_instance(ctx, ADMIN, "waits", {}, business_key="SURAT-9")
    other = usecases.start_instance(ctx, ADMIN, "waits", {}, business_key="SURAT-10")
    approver = usecases.start_instance(ctx, ADMIN, "approves", {}, business_key="SURAT-9")
    [task] = approver.open_tasks
    usecases.claim_task(ctx, STAF, task.id)
    usecases.complete_task(ctx, STAF, task.id, {"value": "setuju"})
    assert usecases.get_instance(ctx, ADMIN, approver.id).status == "completed"
    assert open_elements(ctx, waiting.id) == ["after"] and open_elements(ctx, other.id) == []
    assert variables_of_open_task(ctx, waiting.id)["value"] == "setuju"
    assert_replays(ctx, waiting.id, other.id, approver.id)


def test_a_signal_reaches_every_waiting_instance_and_starts_its_processes(ctx):
    deploy(ctx, "meeting", [("cancelled", b.catch("cancelled", b.signal_ref("s_cancel"))),
                            ("tidy_up", d.user_task("tidy_up"))], definitions=CANCELLED)
    starts = b.chain("announce", [("tell", d.user_task("tell"))], definitions=CANCELLED).replace(
        b'<bpmn:startEvent id="start" />',
        b'<bpmn:startEvent id="start"><bpmn:signalEventDefinition signalRef="s_cancel" />'
        b'</bpmn:startEvent>')
    usecases.deploy(ctx, ADMIN, {"announce.bpmn": starts}, {"simple.json": d.SIMPLE_FORM})
    one = usecases.start_instance(ctx, ADMIN, "meeting", {})
    two = usecases.start_instance(ctx, ADMIN, "meeting", {})
    reached = usecases.broadcast_signal(ctx, WORKER, "rapat_dibatalkan", {"alasan": "hujan"})
    assert sorted((r.definition_key, r.started) for r in reached) == [
        ("announce", True), ("meeting", False), ("meeting", False)]
    assert open_elements(ctx, one.id) == open_elements(ctx, two.id) == ["tidy_up"]
    assert variables_of_open_task(ctx, one.id)["alasan"] == "hujan"
    assert usecases.broadcast_signal(ctx, WORKER, "tidak_ada") == []  # nobody: no error
    assert_replays(ctx, one.id, two.id, *[r.process_instance_id for r in reached])


def test_a_thrown_signal_reaches_the_waiting_instances(ctx):
    deploy(ctx, "meeting", [("cancelled", b.catch("cancelled", b.signal_ref("s_cancel"))),
                            ("tidy_up", d.user_task("tidy_up"))], definitions=CANCELLED)
    deploy(ctx, "chair", [("decide", d.user_task("decide")),
                          ("shout", b.throw("shout", b.signal_ref("s_cancel")))],
           definitions=CANCELLED)
    waiting = [usecases.start_instance(ctx, ADMIN, "meeting", {}) for _ in range(2)]
    chair = usecases.start_instance(ctx, ADMIN, "chair", {})
    [task] = chair.open_tasks
    usecases.claim_task(ctx, STAF, task.id)
    usecases.complete_task(ctx, STAF, task.id, {"value": "batal"})
    assert [open_elements(ctx, w.id) for w in waiting] == [["tidy_up"], ["tidy_up"]]
    assert_replays(ctx, chair.id, *[w.id for w in waiting])


def test_a_send_task_delivers_like_a_throw_event(ctx):
    waits_for_approval(ctx)
    send = ('<bpmn:sendTask id="send" name="Kirim persetujuan" messageRef="m_approval">'
            '<bpmn:extensionElements><spiffworkflow:messagePayload>{"value": value}'
            '</spiffworkflow:messagePayload></bpmn:extensionElements></bpmn:sendTask>')
    deploy(ctx, "sends", [("decide", d.user_task("decide")), ("send", send)],
           definitions=APPROVAL)
    waiting = usecases.start_instance(ctx, ADMIN, "waits", {}, business_key="SURAT-5")
    sender = usecases.start_instance(ctx, ADMIN, "sends", {}, business_key="SURAT-5")
    [task] = sender.open_tasks
    usecases.claim_task(ctx, STAF, task.id)
    usecases.complete_task(ctx, STAF, task.id, {"value": "setuju"})
    assert open_elements(ctx, waiting.id) == ["after"]
    assert variables_of_open_task(ctx, waiting.id)["value"] == "setuju"
    assert_replays(ctx, waiting.id, sender.id)
