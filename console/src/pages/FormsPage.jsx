// The forms of a version: each file as deployed, with a preview drawn by the same form
// renderer the task pages use. A JSON Schema form is edited as text (its JSON checked as
// it is typed, the preview following the last valid text), checked by the server, and
// deployed: the server decides which processes get a new version. A form-js form is shown
// as the engine reads it (its translation to JSON Schema); it is edited in a form editor.
import { useMemo, useRef, useState } from 'preact/hooks';
import * as engine from '../api/engine.js';
import { useApp } from '../components/AppContext.js';
import { Message } from '../components/Banner.jsx';
import { useResource } from '../components/useResource.js';
import { Findings, problemsOf } from '../cockpit/Findings.jsx';
import { withFormJsLabels } from '../forms/formJsLabels.js';
import { SchemaForm } from '../forms/SchemaForm.jsx';
import { t } from '../i18n/index.js';
import { Link } from '../router.jsx';

/** {schema} of a form's text, or {error}: JSON whose top is not an object is no form. */
function parsed(text) {
  try {
    const schema = JSON.parse(text);
    if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return { error: t('forms.notObject') };
    return { schema };
  } catch (error) {
    return { error: error.message };
  }
}

function Preview({ schema }) {
  return (
    <section class="panel" aria-labelledby="preview-title" data-testid="form-preview">
      <h2 id="preview-title">{t('forms.preview')}</h2>
      <SchemaForm key={JSON.stringify(schema)} schema={schema} idPrefix="preview"
        submitLabel={t('forms.tryIt')} onSubmit={() => {}} />
    </section>
  );
}

function JsonSchemaEditor({ file, onDeployed }) {
  const [text, setText] = useState(file.content);
  const [problems, setProblems] = useState([]);
  const [warnings, setWarnings] = useState([]);
  const [outcome, setOutcome] = useState(null); // {kind, text}
  const [busy, setBusy] = useState(false);
  const now = useMemo(() => parsed(text), [text]);
  const lastValid = useRef(file.schema || {}); // what the preview shows while the text is not JSON
  if (now.schema) lastValid.current = now.schema;

  const send = async (action) => {
    setBusy(true);
    setOutcome(null);
    try {
      await action([new File([text], file.name, { type: 'application/json' })]);
    } catch (error) {
      const found = problemsOf(error);
      setProblems(found || []);
      setOutcome({ kind: 'error', text: found ? t('modeler.refused', { count: found.length }) : t('error.generic', { detail: error.message }) });
    } finally {
      setBusy(false);
    }
  };
  const check = () => send(async (files) => {
    const answer = await engine.checkDiagrams(files);
    setProblems(answer.problems || []);
    setWarnings(answer.warnings || []);
    setOutcome(answer.problems?.length
      ? { kind: 'error', text: t('modeler.problems', { count: answer.problems.length }) }
      : { kind: 'success', text: t('forms.valid') });
  });
  const deploy = () => send(async (files) => {
    const answer = await engine.deploy(files);
    setProblems([]);
    setWarnings(answer.warnings || []);
    const made = answer.definitions.filter((d) => d.created);
    setOutcome(made.length
      ? { kind: 'success', text: t('forms.deployed', { versions: made.map((d) => `${d.key} ${t('cockpit.version').toLowerCase()} ${d.version}`).join(', ') }) }
      : { kind: 'info', text: t('modeler.unchanged') });
    if (made.length) onDeployed();
  });

  return (
    <>
      <div class="field">
        <label for="form-text">{t('forms.text', { file: file.name })}</label>
        <textarea id="form-text" class="code" rows={20} value={text} spellcheck={false}
          aria-invalid={now.error ? 'true' : undefined} aria-describedby="form-json"
          onInput={(event) => setText(event.currentTarget.value)} />
        <p id="form-json" class={now.error ? 'error-text' : 'muted small'} role={now.error ? 'alert' : undefined}>
          {now.error ? t('forms.invalidJson', { detail: now.error }) : t('forms.validJson')}</p>
      </div>
      <div class="actions-row">
        <button type="button" class="button" disabled={busy || !!now.error} onClick={check}>{t('modeler.validate')}</button>
        <button type="button" class="button" disabled={busy || !!now.error} onClick={deploy}>{t('forms.deploy')}</button>
      </div>
      {outcome && <Message kind={outcome.kind}>{outcome.text}</Message>}
      <Findings id="problems" title={t('modeler.problemList')} items={problems} />
      <Findings id="warnings" title={t('modeler.warnings')} items={warnings} />
      <Preview schema={lastValid.current} />
    </>
  );
}

function FormJsView({ file }) {
  return (
    <>
      <p class="muted">{t('forms.formJs')}</p>
      {file.schema ? <Preview schema={withFormJsLabels(file.schema)} /> : <Message kind="error">{t('forms.unreadable')}</Message>}
      <details>
        <summary>{t('forms.source', { file: file.name })}</summary>
        <pre class="code">{file.content}</pre>
      </details>
    </>
  );
}

export default function FormsPage({ params }) {
  const app = useApp();
  const { key } = params;
  const version = Number(params.version);
  const files = useResource(() => engine.versionForms(key, version), [key, version]);
  const [chosen, setChosen] = useState(null);
  const items = files.data?.items || [];
  const file = items.find((f) => f.name === chosen) || items[0];

  return (
    <article>
      <p class="crumbs"><Link href="/definitions">{t('nav.definitions')}</Link></p>
      <h1>{t('forms.title', { name: app.definitions[key] || key, version })}</h1>
      <p class="muted">{t('forms.intro')}</p>
      {files.error && <Message kind="error">{t('error.generic', { detail: files.error.message })}</Message>}
      {files.data && !items.length && <p>{t('forms.none')}</p>}
      {items.length > 0 && (
        <div class="field">
          <label for="form-file">{t('forms.file')}</label>
          <select id="form-file" value={file.name} onChange={(event) => setChosen(event.currentTarget.value)}>
            {items.map((f) => <option key={f.name} value={f.name}>{f.name} ({f.kind})</option>)}
          </select>
        </div>
      )}
      {file && (file.kind === 'form-js'
        ? <FormJsView key={file.name} file={file} />
        : <JsonSchemaEditor key={file.name} file={file} onDeployed={() => app.refreshShared()} />)}
    </article>
  );
}
