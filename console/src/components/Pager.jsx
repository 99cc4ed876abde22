// Previous / next through a paged list, with where we are ("26–50 of 1,000+").
import { number, t } from '../i18n/index.js';
import { setQuery } from '../router.jsx';

export function Pager({ offset, limit, total, exact = true, shown, onPage }) {
  if (!total) return null;
  const from = offset + 1;
  const to = offset + shown;
  const totalText = exact ? number(total) : `${number(total)}+`;
  return (
    <nav class="pager" aria-label={t('pager.label')}>
      <button type="button" class="button button-small" disabled={offset === 0} onClick={() => onPage(Math.max(0, offset - limit))}>{t('pager.previous')}</button>
      <span>{t('pager.range', { from: number(from), to: number(to), total: totalText })}</span>
      <button type="button" class="button button-small" disabled={shown < limit || (exact && to >= total)} onClick={() => onPage(offset + limit)}>{t('pager.next')}</button>
    </nav>
  );
}

/** The pager of a page whose offset is in the query string (`?offset=`). */
export function QueryPager({ data, offset, limit }) {
  if (!data) return null;
  return <Pager offset={offset} limit={limit} total={data.total} shown={data.items.length}
    onPage={(next) => setQuery({ offset: next || null })} />;
}
