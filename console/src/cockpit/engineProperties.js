// What the engine reads from an element, as the modeler edits it: the `spiffworkflow:property`
// entries (a user task's formKey and dueDuration, a lane's role), a sequence flow's condition
// and a script task's script; in a diagram of the Camunda dialect also a user task's Camunda 7
// attributes (camunda-bpmn-moddle describes them, so bpmn-js keeps them on saving). Every
// change goes through bpmn-js's modeling, so it can be undone and is saved with the diagram.

const CAMUNDA_NS = 'http://camunda.org/schema/1.0/bpmn';
// The Camunda 7 attributes of a user task the engine reads (who works it, its form, its due date).
const CAMUNDA_USER_TASK = ['assignee', 'candidateGroups', 'candidateUsers', 'formKey', 'formRef', 'dueDate']
  .map((name) => ({ key: `camunda:${name}`, kind: 'attribute' }));

/** Whether the diagram declares the Camunda namespace (its definitions' xmlns). */
export function usesCamunda(definitions) {
  return Object.values(definitions?.$attrs || {}).includes(CAMUNDA_NS);
}

/** The fields an element of this type offers: [{key, kind}] (kind: property | attribute |
 * condition | script). */
export function fieldsOf(type, camunda = false) {
  switch (type) {
    case 'bpmn:UserTask': return [{ key: 'formKey', kind: 'property' }, { key: 'dueDuration', kind: 'property' },
      ...(camunda ? CAMUNDA_USER_TASK : [])];
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
  if (field.kind === 'attribute') return bo.get(field.key) || '';
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
  if (field.kind === 'attribute') {
    // an emptied attribute is left out of the file, not written empty
    modeling.updateProperties(element, { [field.key]: value || undefined });
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
