// A page of process instances as a table: each one's process (a link to its page), status,
// start and starter; the cockpit adds the version and an instance's error.
import { dateTime, isoAttribute, t } from '../i18n/index.js';
import { Link } from '../router.jsx';
import { useApp } from './AppContext.js';
import { processLabel } from './labels.js';

export function StatusBadge({ status }) {
  return <span class={`badge badge-status-${status}`}>{t(`status.${status}`)}</span>;
}

export function InstanceTable({ page, hrefOf, cockpit = false }) {
  const app = useApp();
  if (!page.data) return page.error ? null : <p aria-busy="true">{t('app.loading')}</p>;
  if (page.data.items.length === 0) return <p class="empty">{t('instances.empty')}</p>;
  return (
    <table class="tasks">
      <thead><tr>
        <th scope="col">{t('inbox.process')}</th>
        {cockpit && <th scope="col">{t('cockpit.version')}</th>}
        <th scope="col">{t('instances.status')}</th>
        <th scope="col">{t('instances.started')}</th>
        <th scope="col">{t('instances.startedBy')}</th>
      </tr></thead>
      <tbody>
        {page.data.items.map((instance) => (
          <tr key={instance.id} data-instance-id={instance.id}>
            <td data-label={t('inbox.process')}>
              <Link href={hrefOf(instance)}>{processLabel(instance.definition_key, app.definitions)}</Link>
              {cockpit && instance.error && <div class="small error-text">{instance.error}</div>}
            </td>
            {cockpit && <td data-label={t('cockpit.version')}>{instance.definition_version}</td>}
            <td data-label={t('instances.status')}><StatusBadge status={instance.status} /></td>
            <td data-label={t('instances.started')}><time datetime={isoAttribute(instance.started_at)}>{dateTime(instance.started_at)}</time></td>
            <td data-label={t('instances.startedBy')}>{instance.started_by}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
