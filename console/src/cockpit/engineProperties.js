// What the engine reads from an element, as the modeler edits it: the `spiffworkflow:property`
// entries (a user task's formKey and dueDuration, a lane's role), a sequence flow's condition
// and a script task's script. Every change goes through bpmn-js's modeling, so it can be
// undone and is saved with the diagram.

/** The fields an element of this type offers: [{key, kind}] (kind: property | condition | script). */
export function fieldsOf(type) {
  switch (type) {
    case 'bpmn:UserTask': return [{ key: 'formKey', kind: 'property' }, { key: 'dueDuration', kind: 'property' }];
    case 'bpmn:Lane': return [{ key: 'role', kind: 'property' }];
    case 'bpmn:SequenceFlow': return [{ key: 'condition', kind: 'condition' }];
    case 'bpmn:ScriptTask': return [{ key: 'script', kind: 'script' }];
    default: return [];
  }
}

function propertiesElement(bo) {
  return (bo.extensionElements?.values || []).find((v) => v.$type === 'spiffworkflow:Properties');
}

export function readField(element, field) {
  const bo = element.businessObject;
  if (field.kind === 'condition') return bo.conditionExpression?.body || '';
  if (field.kind === 'script') return bo.script || '';
  const entry = propertiesElement(bo)?.properties?.find((p) => p.name === field.key);
  return entry?.value || '';
}

export function writeField(modeler, element, field, value) {
  const modeling = modeler.get('modeling');
  const moddle = modeler.get('moddle');
  const bo = element.businessObject;
  if (field.kind === 'condition') {
    modeling.updateProperties(element, {
      conditionExpression: value.trim() ? moddle.create('bpmn:FormalExpression', { body: value }) : undefined,
    });
    return;
  }
  if (field.kind === 'script') {
    modeling.updateProperties(element, { script: value });
    return;
  }
  let extensions = bo.extensionElements;
  if (!extensions) {
    extensions = moddle.create('bpmn:ExtensionElements', { values: [] });
    modeling.updateProperties(element, { extensionElements: extensions });
  }
  let properties = propertiesElement(bo);
  if (!properties) {
    properties = moddle.create('spiffworkflow:Properties', { properties: [] });
    modeling.updateModdleProperties(element, extensions, { values: [...(extensions.values || []), properties] });
  }
  const entries = properties.properties || [];
  const entry = entries.find((p) => p.name === field.key);
  if (entry) modeling.updateModdleProperties(element, entry, { value });
  else {
    const created = moddle.create('spiffworkflow:Property', { name: field.key, value });
    modeling.updateModdleProperties(element, properties, { properties: [...entries, created] });
  }
}
