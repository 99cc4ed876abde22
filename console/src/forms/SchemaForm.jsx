// A task's or a start's form, drawn from its JSON Schema by react-jsonschema-form (through
// Preact's compatibility layer) and checked in the browser with Ajv against the same
// schema (draft 2020-12) the server validates with, messages in the page's language.
// Fields the server still refuses (422) are shown at those fields; `document-id` fields are
// file uploads.
import Form from '@rjsf/core';
import { TranslatableString, englishStringTranslator, replaceStringParameters } from '@rjsf/utils';
import { customizeValidator } from '@rjsf/validator-ajv8';
import Ajv2020 from 'ajv/dist/2020.js';
import localizeEn from 'ajv-i18n/localize/en/index.js';
import localizeId from 'ajv-i18n/localize/id/index.js';
import { useMemo, useState } from 'preact/hooks';
import { locale, t } from '../i18n/index.js';
import { DocumentWidget } from './DocumentWidget.jsx';
import { errorSchemaOf } from './serverErrors.js';
import { uiSchemaFor } from './uiSchema.js';

const DOCUMENT_ID = 'document-id';
const validators = {};

function validator() {
  const code = locale();
  validators[code] ??= customizeValidator({
    AjvClass: Ajv2020,
    // Whether an id names a document of this instance only the server knows; here: any text.
    customFormats: { [DOCUMENT_ID]: /^.+$/ },
  }, code === 'id' ? localizeId : localizeEn);
  return validators[code];
}

const RJSF_WORDS = {
  [TranslatableString.AddItemButton]: 'form.add',
  [TranslatableString.AddButton]: 'form.add',
  [TranslatableString.RemoveButton]: 'form.remove',
  [TranslatableString.MoveUpButton]: 'form.moveUp',
  [TranslatableString.MoveDownButton]: 'form.moveDown',
  [TranslatableString.ErrorsLabel]: 'form.errors',
  [TranslatableString.YesLabel]: 'form.yes',
  [TranslatableString.NoLabel]: 'form.no',
};

/** The summary above a form that did not pass: how many fields to look at; each message
 * stands at its field. */
function ErrorListTemplate({ errors }) {
  return (
    <div class="banner banner-error form-errors" role="alert">
      <span>{t('task.fixErrors')} ({errors.length})</span>
    </div>
  );
}

/** Optional fields left empty are left out, as if never touched, at every depth (an
 * indicator's optional target range included): an emptied list must not fail its minItems,
 * an emptied text its minLength, an untouched group its required members. */
function withoutEmptyOptional(schema, data) {
  if (Array.isArray(data)) {
    const items = schema && typeof schema.items === 'object' ? schema.items : {};
    return data.map((item) => withoutEmptyOptional(items, item));
  }
  if (!data || typeof data !== 'object') return data;
  const required = new Set((schema && schema.required) || []);
  const properties = (schema && schema.properties) || {};
  const kept = {};
  for (const [name, value] of Object.entries(data)) {
    const pruned = withoutEmptyOptional(properties[name] || {}, value);
    const empty = pruned === '' || pruned === undefined
      || (Array.isArray(pruned) && pruned.length === 0)
      || (pruned && typeof pruned === 'object' && !Array.isArray(pruned) && Object.keys(pruned).length === 0);
    if (!(empty && !required.has(name))) kept[name] = pruned;
  }
  return kept;
}

/** An `if`/`then` that fails is told by the `then` part's own errors at their fields
 * (notes required when returning); the bare "must match then" adds nothing. */
function transformErrors(errors) {
  return errors.filter((error) => error.name !== 'if');
}

function translateString(text, params) {
  const key = RJSF_WORDS[text];
  return key ? t(key) : englishStringTranslator(text, params) ?? replaceStringParameters(text, params);
}

/**
 * props: schema, formData, onSubmit(data) -> Promise (rejecting with an ApiError whose
 * fieldErrors name fields), submitLabel, context ({instanceId} for uploads), prefix (the
 * server's prefix of field names, e.g. 'variables'), disabled, examples ({path: [values]})
 */
export function SchemaForm({ schema, formData, onSubmit, submitLabel, context = {}, prefix, disabled, hints = {}, idPrefix = 'form' }) {
  const [data, setData] = useState(formData ?? {});
  const [serverErrors, setServerErrors] = useState(undefined);
  const [busy, setBusy] = useState(false);
  const uiSchema = useMemo(() => uiSchemaFor(schema, hints), [schema, hints, locale()]);

  const submit = async ({ formData: submitted }) => {
    setBusy(true);
    setServerErrors(undefined);
    try {
      await onSubmit(submitted ?? {});
    } catch (failure) {
      const errors = errorSchemaOf(failure?.fieldErrors || {}, prefix);
      if (errors) setServerErrors(errors);
      throw failure;
    } finally {
      setBusy(false);
    }
  };

  return (
    <Form
      schema={schema}
      uiSchema={uiSchema}
      formData={data}
      validator={validator()}
      widgets={{ document: DocumentWidget }}
      formContext={context}
      idPrefix={idPrefix}
      translateString={translateString}
      extraErrors={serverErrors}
      noHtml5Validate
      // an optional list starts empty; fields without a value are left out, not sent empty
      experimental_defaultFormStateBehavior={{ arrayMinItems: { populate: 'requiredOnly' }, emptyObjectFields: 'skipEmptyDefaults' }}
      showErrorList="top"
      focusOnFirstError
      disabled={disabled || busy}
      templates={{ ErrorListTemplate }}
      transformErrors={transformErrors}
      onChange={({ formData: changed }) => { setData(withoutEmptyOptional(schema, changed)); if (serverErrors) setServerErrors(undefined); }}
      onError={() => { /* shown in the form; the library would also log it */ }}
      onSubmit={(event) => submit({ formData: withoutEmptyOptional(schema, event.formData) }).catch(() => {})}
    >
      <div class="form-actions">
        <button type="submit" class="button button-primary" disabled={disabled || busy}>{busy ? t('task.submitting') : submitLabel}</button>
      </div>
    </Form>
  );
}

export default SchemaForm;
