// Sign in: user name and password for a bearer token, kept for its lifetime (a reload keeps
// the session; signing out or a 401 ends it).
import { useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import * as engine from '../api/engine.js';
import { ConnectionBanner, Message } from '../components/Banner.jsx';
import { LanguageSwitch } from '../components/Layout.jsx';
import { t } from '../i18n/index.js';

export function SignInPage({ onSignedIn }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await engine.signIn(username.trim(), password);
      onSignedIn({ token: answer.access_token, expiresAt: Date.now() + answer.expires_in * 1000, username: username.trim() });
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 401) setError(t('signIn.failed'));
      else if (failure instanceof ApiError && failure.status === 429) {
        setError(t('signIn.throttled', { seconds: failure.retryAfter || '60' }));
      } else if (failure instanceof ApiError) setError(t('error.generic', { detail: failure.message }));
      // a network failure shows in the connection banner
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <ConnectionBanner />
      <main id="main" class="signin">
        <div class="signin-card">
          <div class="signin-top">
            <div class="brand"><span class="brand-mark" aria-hidden="true" />{t('app.name')}</div>
            <LanguageSwitch />
          </div>
          <h1>{t('signIn.title')}</h1>
          <p class="muted">{t('signIn.intro')}</p>
          {error && <Message kind="error">{error}</Message>}
          <form onSubmit={submit} class="stack">
            <div class="field">
              <label for="username">{t('signIn.username')}</label>
              <input id="username" name="username" autoComplete="username" required value={username}
                onInput={(event) => setUsername(event.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="password">{t('signIn.password')}</label>
              <input id="password" name="password" type="password" autoComplete="current-password" required value={password}
                onInput={(event) => setPassword(event.currentTarget.value)} />
            </div>
            <button type="submit" class="button button-primary" disabled={busy}>{t('signIn.submit')}</button>
          </form>
        </div>
      </main>
    </>
  );
}
