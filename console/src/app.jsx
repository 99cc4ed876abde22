// The console: signed out, the sign-in page; signed in, the page the path names, inside the
// layout, with what every page shares (the user, process names, units, what they may start).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { currentSession, onSessionChange, setSession } from './api/client.js';
import * as engine from './api/engine.js';
import { AppContext } from './components/AppContext.js';
import { ConnectionBanner, Message } from './components/Banner.jsx';
import { Layout } from './components/Layout.jsx';
import { useResource } from './components/useResource.js';
import { t, useLocale } from './i18n/index.js';
import { navigate, match, useLocation } from './router.jsx';
import { ROUTES, mayVisit } from './routes.js';
import { SignInPage } from './pages/SignInPage.jsx';
import { NotFoundPage } from './pages/NotFoundPage.jsx';

const loaded = new Map(); // route name -> its page module, once loaded

function usePage(route) {
  const [, setTick] = useState(0);
  const [failure, setFailure] = useState(null);
  useEffect(() => {
    if (!route || loaded.has(route.name)) return;
    setFailure(null);
    route.load().then((module) => {
      loaded.set(route.name, module.default);
      setTick((n) => n + 1);
    }, setFailure);
  }, [route]);
  return [route && loaded.get(route.name), failure];
}

function SignedIn({ session }) {
  const location = useLocation();
  const shared = useResource(async () => {
    const [user, definitions, units, startable] = await Promise.all([
      engine.me(), engine.definitions(), engine.units(), engine.startableProcesses()]);
    return {
      user,
      definitions: Object.fromEntries(definitions.items.map((d) => [d.key, d.name])),
      units: Object.fromEntries(units.items.map((u) => [u.code, u.name])),
      unitList: units.items,
      startable: startable.items,
    };
  }, [session.token]);
  const found = useMemo(() => {
    for (const route of ROUTES) {
      const params = match(route.path, location.path);
      if (params) return { route, params };
    }
    return null;
  }, [location.path]);
  const [Page, failure] = usePage(found?.route);

  if (!shared.data) {
    return (
      <>
        <ConnectionBanner />
        <main id="main" class="centered">
          {shared.error ? <Message kind="error">{t('error.generic', { detail: shared.error.message })}</Message> : <p>{t('app.loading')}</p>}
        </main>
      </>
    );
  }
  const app = { ...shared.data, user: { ...shared.data.user }, refreshShared: shared.reload };
  let content;
  if (!found || !mayVisit(found.route, app.user)) content = <NotFoundPage />;
  else if (failure) content = <Message kind="error">{t('banner.offline')}</Message>;
  else if (!Page) content = <p aria-busy="true">{t('app.loading')}</p>;
  else content = <Page params={found.params} query={location.query} />;
  return (
    <AppContext.Provider value={app}>
      <Layout active={found?.route.name}>{content}</Layout>
    </AppContext.Provider>
  );
}

export function App() {
  useLocale(); // every text follows the language
  const [session, setCurrent] = useState(currentSession);
  const location = useLocation();
  useEffect(() => onSessionChange(setCurrent), []);
  useEffect(() => {
    // A session that ends (expired, signed out, a 401) returns to the sign-in page and
    // comes back to where it was after signing in again.
    if (!session && location.path !== '/signin') {
      const next = location.path + (location.query.toString() ? `?${location.query}` : '');
      navigate(`/signin${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`, { replace: true });
    }
    if (session && location.path === '/signin') {
      navigate(location.query.get('next') || '/', { replace: true });
    }
  }, [session, location.path]);
  if (!session || location.path === '/signin') return <SignInPage onSignedIn={setSession} />;
  return <SignedIn session={session} />;
}
