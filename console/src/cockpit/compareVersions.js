// Two versions of a diagram compared element by element (by id): added, removed, and
// changed (its type, name, flow ends, condition, script or engine properties differ).
let moddleModule = null;
function loadModdle() {
  moddleModule ??= import('bpmn-moddle');
  return moddleModule;
}

function signature(element) {
  const properties = (element.extensionElements?.values || [])
    .flatMap((value) => value.properties || [])
    .map((p) => `${p.name}=${p.value}`).sort();
  return JSON.stringify([element.$type, element.name || '', element.sourceRef?.id, element.targetRef?.id,
    element.conditionExpression?.body, element.script, element.calledElement, properties]);
}

/** {id: {name, signature}} of every flow element and lane, sub-processes included. */
async function elementsOf(xml) {
  const { BpmnModdle } = await loadModdle();
  const { rootElement } = await new BpmnModdle().fromXML(xml);
  const found = {};
  const visit = (container) => {
    for (const element of container.flowElements || []) {
      found[element.id] = { name: element.name || element.id, signature: signature(element) };
      visit(element);
    }
    for (const laneSet of container.laneSets || []) {
      for (const lane of laneSet.lanes || []) found[lane.id] = { name: lane.name || lane.id, signature: signature(lane) };
    }
  };
  for (const root of rootElement.rootElements || []) if (root.$type === 'bpmn:Process') visit(root);
  return found;
}

/** {added, removed, changed}: lists of {id, name}. */
export async function compareVersions(olderXml, newerXml) {
  const [older, newer] = await Promise.all([elementsOf(olderXml), elementsOf(newerXml)]);
  const pick = (source, ids) => ids.map((id) => ({ id, name: source[id].name }));
  return {
    added: pick(newer, Object.keys(newer).filter((id) => !(id in older))),
    removed: pick(older, Object.keys(older).filter((id) => !(id in newer))),
    changed: pick(newer, Object.keys(newer).filter((id) => id in older && older[id].signature !== newer[id].signature)),
  };
}
