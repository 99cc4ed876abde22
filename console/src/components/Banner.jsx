// The connection banner: shown whenever the server cannot be reached or fails (5xx), on
// every page, above its content; the page keeps what it had. "Try again" reloads all.
import { useEffect, useState } from 'preact/hooks';
import { clearConnectionProblem, onConnectionChange } from '../api/client.js';
import { t } from '../i18n/index.js';
import { reloadAll } from './useResource.js';

export function ConnectionBanner() {
  const [problem, setProblem] = useState(null);
  useEffect(() => onConnectionChange(setProblem), []);
  return (
    <div class="banner-slot" aria-live="assertive">
      {problem && (
        <div class="banner banner-error" role="alert" data-testid="connection-banner">
          <span>{problem.kind === 'offline' ? t('banner.offline') : t('banner.server', { status: problem.status })}</span>
          <span class="banner-actions">
            <button type="button" class="button button-small" onClick={() => { clearConnectionProblem(); reloadAll(); }}>{t('banner.retry')}</button>
            <button type="button" class="button button-small button-quiet" onClick={clearConnectionProblem}>{t('banner.dismiss')}</button>
          </span>
        </div>
      )}
    </div>
  );
}

/** A message on a page: success (status) or error (alert). */
export function Message({ kind = 'info', children, onDismiss }) {
  const role = kind === 'error' ? 'alert' : 'status';
  return (
    <div class={`banner banner-${kind}`} role={role}>
      <span>{children}</span>
      {onDismiss && <button type="button" class="button button-small button-quiet" onClick={onDismiss}>{t('banner.dismiss')}</button>}
    </div>
  );
}
