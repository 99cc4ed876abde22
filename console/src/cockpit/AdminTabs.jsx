// The administration pages' own navigation: users, the working calendar, the outbox.
import { t } from '../i18n/index.js';
import { Link } from '../router.jsx';

const TABS = [['users', '/admin/users'], ['calendar', '/admin/calendar'], ['outbox', '/admin/outbox']];

export function AdminTabs({ active }) {
  return (
    <nav aria-label={t('admin.nav')} class="crumbs">
      <ul class="counts">
        {TABS.map(([name, href]) => (
          <li key={name}><Link class="button button-small" href={href} aria-current={active === name ? 'page' : undefined}>{t(`admin.${name}`)}</Link></li>
        ))}
      </ul>
    </nav>
  );
}

/** Run an action, then say how it went: {kind, text} to `report`. */
export async function attempt(action, report, success) {
  try {
    await action();
    report({ kind: 'success', text: success });
  } catch (error) {
    const fields = Object.entries(error.fieldErrors || {}).map(([field, messages]) => `${field}: ${messages.join(', ')}`);
    report({ kind: 'error', text: t('error.generic', { detail: fields.length ? fields.join('; ') : error.message }) });
  }
}
