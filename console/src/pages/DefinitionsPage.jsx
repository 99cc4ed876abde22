// The process owner's list: every deployed process with its start rules and its versions,
// who deployed each and when, in which deployment (its name and source); a suspended
// process marked. An
// administrator suspends or resumes a process and deletes a version no instance uses,
// each asked once more; the server's refusal (409: instances still use it) is shown as is.
import { useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import * as engine from '../api/engine.js';
import { useApp } from '../components/AppContext.js';
import { Message } from '../components/Banner.jsx';
import { ConfirmButton } from '../components/ConfirmButton.jsx';
import { useResource } from '../components/useResource.js';
import { dateTime, isoAttribute, t } from '../i18n/index.js';
import { Link } from '../router.jsx';

/** "key:version" -> the deployment that made that version. */
function deploymentsByVersion(deployments) {
  const made = new Map();
  for (const deployment of deployments) {
    for (const ref of deployment.definitions || []) made.set(`${ref.key}:${ref.version}`, deployment);
  }
  return made;
}

const START_RULES = ['startForm', 'unitsVariable', 'starterUnitVariable'];

/** Who may start the process and the rules of its start, as its latest version sets them (read-only). */
function StartRules({ latest }) {
  const rules = latest.start_rules || {};
  return (
    <dl class="facts facts-inline" data-testid="start-rules">
      <div class="fact"><dt>{t('defs.startableBy')}</dt><dd>{latest.startable_by?.length ? latest.startable_by.join(', ') : t('defs.adminsOnly')}</dd></div>
      {START_RULES.filter((rule) => rules[rule]).map((rule) => (
        <div class="fact" key={rule}><dt>{t(`defs.rule.${rule}`)}</dt><dd><code>{rules[rule]}</code></dd></div>
      ))}
    </dl>
  );
}

export default function DefinitionsPage() {
  const app = useApp();
  const keys = Object.keys(app.definitions).sort();
  const [outcome, setOutcome] = useState(null); // {kind, text}
  const [busy, setBusy] = useState(false);
  const all = useResource(async () => {
    const [lists, deployments] = await Promise.all([
      Promise.all(keys.map((key) => engine.versions(key))), engine.deployments()]);
    return {
      processes: keys.map((key, i) => ({ key, versions: [...lists[i].items].reverse() })),
      madeBy: deploymentsByVersion(deployments.items),
    };
  }, [keys.join()]);

  const act = async (run, done) => {
    setBusy(true);
    setOutcome(null);
    try {
      await run();
      setOutcome({ kind: 'success', text: done });
      all.reload({ quiet: true });
      app.refreshShared();
    } catch (error) {
      setOutcome({ kind: 'error', text: error instanceof ApiError && error.status === 409
        ? t('error.conflict', { detail: error.message }) : t('error.generic', { detail: error.message }) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>{t('defs.title')}</h1>
      <p class="muted">{t('defs.intro')}</p>
      {outcome && <Message kind={outcome.kind}>{outcome.text}</Message>}
      {all.error && <Message kind="error">{t('error.generic', { detail: all.error.message })}</Message>}
      {!all.data && !all.error && <p aria-busy="true">{t('app.loading')}</p>}
      {all.data?.processes.map(({ key, versions }) => {
        const name = app.definitions[key];
        const suspended = versions.some((v) => v.suspended);
        return (
          <section class="panel" key={key} aria-labelledby={`def-${key}`} data-definition={key}>
            <h2 id={`def-${key}`}>{name} <span class="muted small">({key})</span>
              {suspended && <> <span class="badge badge-status-suspended" data-testid="suspended">{t('defs.suspended')}</span></>}</h2>
            <StartRules latest={versions[0]} />
            <div class="actions-row">
              {versions.length > 1 && (
                <Link href={`/definitions/${encodeURIComponent(key)}/compare`}>{t('compare.link', { name })}</Link>
              )}
              {suspended
                ? <ConfirmButton label={t('defs.resume', { name })} question={t('defs.resumeQuestion', { name })}
                  confirmLabel={t('defs.resumeYes')} disabled={busy}
                  onConfirm={() => act(() => engine.resumeProcess(key), t('defs.resumed', { name }))} />
                : <ConfirmButton label={t('defs.suspend', { name })} question={t('defs.suspendQuestion', { name })}
                  confirmLabel={t('defs.suspendYes')} disabled={busy} quiet
                  onConfirm={() => act(() => engine.suspendProcess(key), t('defs.suspendedDone', { name }))} />}
            </div>
            <table class="records">
              <thead><tr>
                <th scope="col">{t('cockpit.version')}</th><th scope="col">{t('defs.deployedAt')}</th>
                <th scope="col">{t('defs.deployedBy')}</th><th scope="col">{t('defs.deployment')}</th>
                <th scope="col">{t('col.actions')}</th>
              </tr></thead>
              <tbody>
                {versions.map((v) => {
                  const deployment = all.data.madeBy.get(`${key}:${v.version}`);
                  return (
                    <tr key={v.version} data-version={v.version}>
                      <td data-label={t('cockpit.version')}>{v.version}{v === versions[0] && <span class="muted"> ({t('defs.latest')})</span>}</td>
                      <td data-label={t('defs.deployedAt')}><time datetime={isoAttribute(v.deployed_at)}>{dateTime(v.deployed_at)}</time></td>
                      <td data-label={t('defs.deployedBy')}>{deployment?.deployed_by || v.deployed_by || '—'}</td>
                      <td data-label={t('defs.deployment')} data-testid="deployment">{deployment
                        ? <>{deployment.name || `#${deployment.id}`} <span class="muted small">({t(`defs.source.${deployment.source}`)})</span></>
                        : '—'}</td>
                      <td data-label={t('col.actions')}>
                        <Link href={`/definitions/${encodeURIComponent(key)}/versions/${v.version}`}
                          aria-label={t('defs.openVersion', { version: v.version, name })}>{t('defs.open')}</Link>{' · '}
                        <Link href={`/definitions/${encodeURIComponent(key)}/versions/${v.version}/forms`}
                          aria-label={t('defs.formsOf', { version: v.version, name })}>{t('defs.forms')}</Link>{' '}
                        <ConfirmButton label={t('defs.delete', { version: v.version })} quiet disabled={busy}
                          question={t('defs.deleteQuestion', { version: v.version, name })} confirmLabel={t('defs.deleteYes')}
                          onConfirm={() => act(() => engine.deleteVersion(key, v.version), t('defs.deleted', { version: v.version, name }))} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </section>
        );
      })}
    </section>
  );
}
