"""Decision tables (`.dmn`) and the business rule tasks that evaluate them.

A business rule task names its decision by id: `spiffworkflow:calledDecisionId` (the
spiff-arena modeler) or `camunda:decisionRef` (Camunda Modeler). SpiffWorkflow parses the
table into the task's spec (serialized with it), and evaluates its cells with the
instance's script engine, the sandboxed one: every cell is a Python expression, checked
here under the sandbox's grammar before anything deploys.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import BusinessRuleTaskParser

from engine.workflow.fingerprint import DMN_NAMESPACES
from engine.workflow.sandbox import check_source

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
# SpiffWorkflow's DMN engine reads `?` in an input entry as the input's value (outside quotes)
_INPUT_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")
# "no condition" in an input entry, as the DMN editors write it
_ANY = ("", "-")

Report = Callable[[str, object], None]  # (message, node)


def is_decision_document(doc) -> bool:
    return doc.tag.startswith("{") and doc.tag[1:].split("}", 1)[0] in DMN_NAMESPACES


def decision_ref(task) -> str | None:
    """The decision id a bpmn:businessRuleTask names, in either modeler's way."""
    spiff = task.find(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}calledDecisionId")
    if spiff is not None and (spiff.text or "").strip():
        return spiff.text.strip()
    return task.get(f"{{{CAMUNDA_NS}}}decisionRef") or None


def business_rule_tasks(doc) -> list:
    return list(doc.iter(f"{{{BPMN_NS}}}businessRuleTask"))


def decisions_of(doc) -> list:
    """The decision elements of a decision table file."""
    namespace = doc.tag[1:].split("}", 1)[0]
    return list(doc.iter(f"{{{namespace}}}decision"))


def output_names(decision) -> list[str]:
    namespace = decision.tag[1:].split("}", 1)[0]
    return [o.get("name") or o.get("label") or ""
            for o in decision.iter(f"{{{namespace}}}output")]


def check_tables(doc, report: Report) -> None:
    """Every decision of the file has a decision table whose cells compile under the
    sandbox: input expressions, input entries (a value compared with the input, a
    comparison such as `< 10`, or an expression with `?` standing for the input) and
    output entries."""
    namespace = doc.tag[1:].split("}", 1)[0]

    def found(path: str, node) -> list:
        return node.findall(path.replace("dmn:", f"{{{namespace}}}"))

    for decision in decisions_of(doc):
        if not decision.get("id"):
            report("decision has no id: a business rule task names it by its id", decision)
        tables = found("dmn:decisionTable", decision)
        if not tables:
            report(f"decision '{decision.get('id')}' has no decision table: only decision "
                   "tables are run here", decision)
            continue
        for table in tables:
            if not table.get("id"):
                report("decision table has no id (the DMN editors give one)", table)
            for text in found("dmn:input/dmn:inputExpression/dmn:text", table):
                _check(text, "input expression", report)
            for text in found("dmn:rule/dmn:inputEntry/dmn:text", table):
                _check_input_entry(text, report)
            for text in found("dmn:rule/dmn:outputEntry/dmn:text", table):
                _check(text, "output entry", report)


def _check(node, what: str, report: Report) -> None:
    source = (node.text or "").strip()
    reason = check_source(source, "eval") if source else None
    if reason:
        report(f"{what} '{source}' does not compile: {reason}", node)


def _check_input_entry(node, report: Report) -> None:
    source = (node.text or "").strip()
    if source in _ANY:
        return
    if _INPUT_MARK.search(source):
        reason = check_source(_INPUT_MARK.sub("dmninputexpr", source), "eval")
    else:  # a value compared for equality, or the right side of a comparison
        reason = check_source(source, "eval") and check_source(f"v {source}", "eval")
    if reason:
        report(f"input entry '{source}' does not compile: {reason}", node)


def result_problem(task, outputs: list[str]) -> str | None:
    """Why the task's `camunda:resultVariable` cannot be honoured, or None. Only
    `mapDecisionResult="singleEntry"` of a table with one output is: the variable gets that
    output's value (the output's own variable is set too)."""
    variable = task.get(f"{{{CAMUNDA_NS}}}resultVariable")
    if not variable:
        return None
    mapping = task.get(f"{{{CAMUNDA_NS}}}mapDecisionResult") or "resultList"
    if mapping != "singleEntry" or len(outputs) != 1:
        return (f"camunda:resultVariable with mapDecisionResult '{mapping}' (a table of "
                f"{len(outputs)} output(s)) is not supported: use singleEntry with one "
                "output, or read each output's variable by its name")
    reason = check_source(_result_script(variable, outputs[0]), "exec")
    return f"camunda:resultVariable '{variable}': {reason}" if reason else None


def _result_script(variable: str, output: str) -> str:
    return f"{variable} = {output}"


class _BusinessRuleTaskParser(BusinessRuleTaskParser):
    """SpiffWorkflow's business rule task, taking Camunda's `camunda:decisionRef` and its
    `camunda:resultVariable` (singleEntry: a post-script, run in the sandbox like any)."""

    @staticmethod
    def get_decision_ref(node):
        return decision_ref(node)

    def create_task(self):
        spec = super().create_task()
        outputs = [o.name for o in spec.dmnEngine.decision_table.outputs]
        variable = self.node.get(f"{{{CAMUNDA_NS}}}resultVariable")
        if variable and result_problem(self.node, outputs) is None:
            script = _result_script(variable, outputs[0])
            spec.postscript = f"{spec.postscript}\n{script}" if spec.postscript else script
        return spec


def install() -> None:
    tag = f"{{{BPMN_NS}}}businessRuleTask"
    SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[tag] = (
        _BusinessRuleTaskParser, SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[tag][1])
