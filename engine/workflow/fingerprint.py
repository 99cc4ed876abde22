"""What a diagram means, apart from how a modeler happened to save it.

A re-save that changes nothing a process does must not make a new version. The semantic
digest of a diagram file is the SHA-256 of its canonical XML (C14N 2.0: attribute order and
namespace declarations normalised) after removing what only the drawing or the tool
carries:

- diagram interchange (`bpmndi:BPMNDiagram`: shapes, edges, label positions; in a decision
  table file, `dmndi:DMNDI`);
- the `exporter` and `exporterVersion` attributes of `bpmn:definitions`;
- whitespace-only text between elements (indentation). Text inside an element (a script, a
  condition, a documentation) is kept as written: whitespace in a script is meaning.

Everything else counts: ids, names, extension elements, the order of elements.
"""
from __future__ import annotations

import hashlib

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DMNDI_NS = "https://www.omg.org/spec/DMN/20191111/DMNDI/"
# the DMN namespaces SpiffWorkflow reads (1.1, 1.2, 1.3): a decision table file's root
DMN_NAMESPACES = ("http://www.omg.org/spec/DMN/20151101/dmn.xsd",
                  "http://www.omg.org/spec/DMN/20180521/MODEL/",
                  "https://www.omg.org/spec/DMN/20191111/MODEL/")
INTERCHANGE = (f"{{{BPMNDI_NS}}}BPMNDiagram", f"{{{DMNDI_NS}}}DMNDI")
TOOL_ATTRIBUTES = ("exporter", "exporterVersion")


def _parse(content: bytes):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True,
                             remove_comments=True, remove_pis=True, huge_tree=False)
    return etree.fromstring(content, parser)


def semantic_digest(content: bytes) -> str:
    """The digest of what the file means; a file that does not parse: of its bytes."""
    try:
        root = _parse(content)
    except etree.XMLSyntaxError:
        return hashlib.sha256(content).hexdigest()
    for diagram in [child for child in root if child.tag in INTERCHANGE]:
        root.remove(diagram)
    for name in TOOL_ATTRIBUTES:
        root.attrib.pop(name, None)
    canonical = etree.tostring(root, method="c14n2", strip_text=False)
    return hashlib.sha256(canonical).hexdigest()


def process_ids(content: bytes) -> set[str]:
    """The ids of the processes a diagram file defines (none when it does not parse)."""
    try:
        root = _parse(content)
    except etree.XMLSyntaxError:
        return set()
    return {p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("id")}


def decision_ids(content: bytes) -> set[str]:
    """The ids of the decisions a decision table file defines (none when it does not
    parse)."""
    try:
        root = _parse(content)
    except etree.XMLSyntaxError:
        return set()
    return {d.get("id") for ns in DMN_NAMESPACES for d in root.iter(f"{{{ns}}}decision")
            if d.get("id")}


def defined_ids(content: bytes) -> set[str]:
    """What a diagram file defines: its process ids and decision ids (a later file defining
    one replaces it)."""
    return process_ids(content) | decision_ids(content)
