// The process owner's list: every deployed process with its versions, when each was
// deployed (and by whom, where the server says), each openable in the modeler.
import * as engine from '../api/engine.js';
import { useApp } from '../components/AppContext.js';
import { Message } from '../components/Banner.jsx';
import { useResource } from '../components/useResource.js';
import { dateTime, isoAttribute, t } from '../i18n/index.js';
import { Link } from '../router.jsx';

export default function DefinitionsPage() {
  const app = useApp();
  const keys = Object.keys(app.definitions).sort();
  const all = useResource(async () => {
    const lists = await Promise.all(keys.map((key) => engine.versions(key)));
    return keys.map((key, i) => ({ key, versions: [...lists[i].items].reverse() }));
  }, [keys.join()]);
  return (
    <section>
      <h1>{t('defs.title')}</h1>
      <p class="muted">{t('defs.intro')}</p>
      {all.error && <Message kind="error">{t('error.generic', { detail: all.error.message })}</Message>}
      {!all.data && !all.error && <p aria-busy="true">{t('app.loading')}</p>}
      {all.data?.map(({ key, versions }) => (
        <section class="panel" key={key} aria-labelledby={`def-${key}`} data-definition={key}>
          <h2 id={`def-${key}`}>{app.definitions[key]} <span class="muted small">({key})</span></h2>
          {versions.length > 1 && (
            <p><Link href={`/definitions/${encodeURIComponent(key)}/compare`}>{t('compare.link', { name: app.definitions[key] })}</Link></p>
          )}
          <table class="records">
            <thead><tr>
              <th scope="col">{t('cockpit.version')}</th><th scope="col">{t('defs.deployedAt')}</th>
              <th scope="col">{t('defs.deployedBy')}</th><th scope="col">{t('col.actions')}</th>
            </tr></thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.version} data-version={v.version}>
                  <td data-label={t('cockpit.version')}>{v.version}{v === versions[0] && <span class="muted"> ({t('defs.latest')})</span>}</td>
                  <td data-label={t('defs.deployedAt')}><time datetime={isoAttribute(v.deployed_at)}>{dateTime(v.deployed_at)}</time></td>
                  <td data-label={t('defs.deployedBy')}>{v.deployed_by || '—'}</td>
                  <td data-label={t('col.actions')}>
                    <Link href={`/definitions/${encodeURIComponent(key)}/versions/${v.version}`}
                      aria-label={t('defs.openVersion', { version: v.version, name: app.definitions[key] })}>{t('defs.open')}</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
    </section>
  );
}
