// Start a process: each process the user may start, with its start form (the LKj year and
// its units; a complaint starts without one and lands in the unit's queue).
import { useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import * as engine from '../api/engine.js';
import { useApp } from '../components/AppContext.js';
import { Message } from '../components/Banner.jsx';
import { flash } from '../components/flash.js';
import { holdsQueue } from '../components/queues.js';
import { t } from '../i18n/index.js';
import { navigate } from '../router.jsx';
import { SchemaForm } from '../forms/SchemaForm.jsx';

/** The start form with what the page knows added: the unit codes as suggestions for the
 * units list, last year as the default report year. */
function startSchema(process, unitCodes) {
  const schema = structuredClone(process.start_form || { type: 'object', properties: {} });
  const units = process.units_variable && schema.properties?.[process.units_variable];
  if (units?.items) units.items.examples = unitCodes;
  if (schema.properties?.year && schema.properties.year.default === undefined) {
    schema.properties.year.default = new Date().getFullYear() - 1;
  }
  return schema;
}

function StartCard({ process }) {
  const app = useApp();
  const [message, setMessage] = useState(null);
  const [busy, setBusy] = useState(false);
  const codes = app.unitList.filter((unit) => unit.active).map((unit) => unit.code);
  const name = process.definition.name;

  const start = async (variables) => {
    setMessage(null);
    try {
      const instance = await engine.startInstance(process.definition.key, variables);
      flash(t('start.started', { name }));
      const mine = instance.open_tasks.find((task) => holdsQueue(app.user, task));
      navigate(mine ? `/tasks/${mine.id}` : `/instances/${instance.id}`);
    } catch (failure) {
      // a refusal naming fields shows at them; one naming none is told here
      if (failure instanceof ApiError && !Object.keys(failure.fieldErrors).length) {
        setMessage(t('task.serverRejected', { detail: failure.message }));
      }
      throw failure;
    }
  };

  const hints = process.units_variable
    ? { [process.units_variable]: { help: t('start.unitsHint', { units: codes.join(', ') }) } } : {};
  const id = `start-${process.definition.key}`;
  return (
    <section class="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{name}</h2>
      {process.start_form?.description && <p class="muted">{process.start_form.description}</p>}
      {message && <Message kind="error">{message}</Message>}
      {process.start_form ? (
        <SchemaForm schema={{ ...startSchema(process, codes), title: undefined, description: undefined }} onSubmit={start}
          submitLabel={t('start.submit')} prefix="variables" hints={hints} idPrefix={id} />
      ) : (
        <>
          <p class="muted">{t('start.noForm')}</p>
          <button type="button" class="button button-primary" disabled={busy}
            onClick={() => { setBusy(true); start({}).catch(() => {}).finally(() => setBusy(false)); }}>{t('start.submit')}</button>
        </>
      )}
    </section>
  );
}

export default function StartPage() {
  const app = useApp();
  return (
    <section>
      <h1>{t('start.title')}</h1>
      <p class="muted">{t('start.intro')}</p>
      {app.startable.length === 0 && <p class="empty">{t('start.none')}</p>}
      {app.startable.map((process) => <StartCard key={process.definition.key} process={process} />)}
    </section>
  );
}
