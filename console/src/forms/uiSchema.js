// How to draw each field of a JSON Schema, from the schema itself: a `document-id` string is
// a file upload, a long-text field a text area, a short choice radio buttons with words in
// the page's language; `hints` add help texts ({units: {help: '...'}}).
import { has, t } from '../i18n/index.js';

const LONG_TEXT = /(notes|summary|description|explanation|instructions|response|recommendations|agenda|minutes)/i;

function enumNames(values) {
  return values.map((value) => (has(`enum.${value}`) ? t(`enum.${value}`) : String(value)));
}

function fieldUi(name, schema, hint) {
  const ui = {};
  if (!schema || typeof schema !== 'object') return ui;
  if (schema.type === 'string' && schema.format === 'document-id') ui['ui:widget'] = 'document';
  else if (schema.type === 'string' && !schema.enum && !schema.format && LONG_TEXT.test(name)) {
    ui['ui:widget'] = 'textarea';
    ui['ui:options'] = { rows: 3 };
  } else if (Array.isArray(schema.enum) && schema.enum.length <= 4) {
    ui['ui:widget'] = 'radio';
    ui['ui:enumNames'] = enumNames(schema.enum);
  } else if (Array.isArray(schema.enum)) ui['ui:enumNames'] = enumNames(schema.enum);
  if (schema.type === 'object' && schema.properties) Object.assign(ui, objectUi(schema, hint));
  if (schema.type === 'array' && schema.items) {
    ui.items = fieldUi(name, schema.items, hint?.items);
  }
  if (hint?.help) ui['ui:help'] = hint.help;
  return ui;
}

function objectUi(schema, hints = {}) {
  const ui = {};
  for (const [name, property] of Object.entries(schema.properties || {})) {
    ui[name] = fieldUi(name, property, hints[name]);
  }
  return ui;
}

export function uiSchemaFor(schema, hints = {}) {
  return { ...objectUi(schema, hints), 'ui:submitButtonOptions': { norender: true } };
}
