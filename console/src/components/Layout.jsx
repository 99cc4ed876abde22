// The frame of every signed-in page: skip link, header with the navigation, the user and
// the language, the connection banner, a flash message, then the page.
import { setSession } from '../api/client.js';
import { LOCALES, locale, setLocale, t } from '../i18n/index.js';
import { Link, navigate } from '../router.jsx';
import { ROUTES, mayVisit } from '../routes.js';
import { useApp } from './AppContext.js';
import { ConnectionBanner, Message } from './Banner.jsx';
import { useFlash } from './flash.js';

export function LanguageSwitch() {
  return (
    <label class="language">
      <span class="visually-hidden">{t('app.language')}</span>
      <select value={locale()} onChange={(event) => setLocale(event.currentTarget.value)}>
        {Object.entries(LOCALES).map(([code, { name }]) => <option key={code} value={code}>{name}</option>)}
      </select>
    </label>
  );
}

export function Layout({ active, children }) {
  const app = useApp();
  const [message, dismiss] = useFlash();
  const visible = ROUTES.filter((route) => route.nav && mayVisit(route, app.user)
    && (route.name !== 'start' || app.startable.length > 0));
  const signOut = () => {
    setSession(null);
    navigate('/signin');
  };
  return (
    <>
      <a class="skip-link" href="#main">{t('app.skip')}</a>
      <header class="topbar">
        <div class="brand"><span class="brand-mark" aria-hidden="true" />{t('app.name')}</div>
        <nav aria-label={t('nav.main')}>
          <ul>
            {visible.map((route) => (
              <li key={route.name}>
                <Link href={route.path} aria-current={active === route.name ? 'page' : undefined}>{t(route.nav)}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class="user" title={app.user.roles.join(', ')}>{app.user.full_name || app.user.username}</span>
          <LanguageSwitch />
          <button type="button" class="button button-small button-quiet" onClick={signOut}>{t('nav.signOut')}</button>
        </div>
      </header>
      <ConnectionBanner />
      <main id="main" tabIndex={-1}>
        {message && <Message kind={message.kind} onDismiss={dismiss}>{message.text}</Message>}
        {children}
      </main>
    </>
  );
}

