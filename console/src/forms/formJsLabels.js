// A form-js form's translation to JSON Schema carries its fields, not their labels; the
// preview takes each field's title from its component's label in the source kept beside
// the translation (`x-form-js`), groups with a `path` descending into their object.
const SOURCE_KEY = 'x-form-js';

function labelled(schema, components) {
  const properties = { ...(schema.properties || {}) };
  for (const component of components || []) {
    const nested = component.path && properties[component.path];
    if (nested?.properties) properties[component.path] = labelled(nested, component.components);
    else if (component.components) Object.assign(properties, labelled({ properties }, component.components).properties);
    const field = component.key && properties[component.key];
    if (field && component.label && !field.title) properties[component.key] = { ...field, title: component.label };
  }
  return { ...schema, properties };
}

/** The translated schema with its fields titled as the form-js form labels them. */
export function withFormJsLabels(schema) {
  return labelled(schema, schema?.[SOURCE_KEY]?.components);
}
