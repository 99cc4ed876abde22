// Two versions of a process side by side in one picture: the newer one drawn, its added
// elements and changed ones marked, the removed ones listed (they are not in the picture);
// then the older version's unfinished instances moved to the newer, plan first.
import * as engine from '../api/engine.js';
import { useApp } from '../components/AppContext.js';
import { Message } from '../components/Banner.jsx';
import { useResource } from '../components/useResource.js';
import { compareVersions } from '../cockpit/compareVersions.js';
import { VersionMove } from '../cockpit/VersionMove.jsx';
import { DiagramViewer } from '../diagram/DiagramViewer.jsx';
import { t } from '../i18n/index.js';
import { Link, setQuery } from '../router.jsx';

function Changes({ title, items, kind }) {
  return (
    <section class="panel" aria-labelledby={`diff-${kind}`}>
      <h2 id={`diff-${kind}`}>{title} ({items.length})</h2>
      {items.length === 0 ? <p class="muted">—</p>
        : <ul data-testid={`diff-${kind}`}>{items.map((e) => <li key={e.id}>{e.name} <span class="muted small">({e.id})</span></li>)}</ul>}
    </section>
  );
}

export default function ComparePage({ params, query }) {
  const app = useApp();
  const { key } = params;
  const versions = useResource(() => engine.versions(key), [key]);
  const numbers = versions.data?.items.map((v) => v.version) || [];
  const newest = numbers[numbers.length - 1];
  const to = Number(query.get('to')) || newest;
  const from = Number(query.get('from')) || (to > 1 ? to - 1 : to);
  const diff = useResource(async () => {
    if (!to) return null;
    const [older, newer] = await Promise.all([engine.versionXml(key, from), engine.versionXml(key, to)]);
    return { xml: newer.text, ...(await compareVersions(older.text, newer.text)) };
  }, [key, from, to]);
  const choose = (name) => (event) => setQuery({ [name]: event.currentTarget.value });
  const data = diff.data;
  return (
    <article>
      <p class="crumbs"><Link href="/definitions">{t('nav.definitions')}</Link></p>
      <h1>{t('compare.title', { name: app.definitions[key] || key })}</h1>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        {[['from', from, 'compare.from'], ['to', to, 'compare.to']].map(([name, value, label]) => (
          <div class="field" key={name}>
            <label for={`compare-${name}`}>{t(label)}</label>
            <select id={`compare-${name}`} value={value} onChange={choose(name)}>
              {numbers.map((n) => <option key={n} value={n}>{t('instance.version', { version: n })}</option>)}
            </select>
          </div>
        ))}
      </form>
      {(versions.error || diff.error) && <Message kind="error">{t('error.generic', { detail: (versions.error || diff.error).message })}</Message>}
      {!data && !diff.error && <p aria-busy="true">{t('app.loading')}</p>}
      {data && (
        <>
          <section class="panel" aria-labelledby="compare-diagram">
            <h2 id="compare-diagram">{t('compare.diagram', { version: to })}</h2>
            <DiagramViewer xml={data.xml} completed={[]} active={[]} tasks={[]} openable={{}} onOpen={() => {}}
              label={t('compare.diagram', { version: to })}
              markers={{ 'lkj-added': data.added.map((e) => e.id), 'lkj-changed': data.changed.map((e) => e.id) }}
              legend={(
                <>
                  <span class="legend"><span class="swatch swatch-added" aria-hidden="true" />{t('compare.added')}</span>
                  <span class="legend"><span class="swatch swatch-changed" aria-hidden="true" />{t('compare.changed')}</span>
                </>
              )} />
          </section>
          <div class="columns">
            <Changes title={t('compare.added')} items={data.added} kind="added" />
            <Changes title={t('compare.changed')} items={data.changed} kind="changed" />
            <Changes title={t('compare.removed')} items={data.removed} kind="removed" />
          </div>
          <VersionMove definitionKey={key} from={from} to={to} key={`${from}:${to}`} />
        </>
      )}
    </article>
  );
}
