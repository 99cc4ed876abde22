// The data a task sees, for people: a list of rows becomes a table (a unit's indicators),
// a record a definition list, document ids links to their files, numbers in the page's
// format. Names come from the page's language where it knows them (var.<name>).
import { downloadDocument } from '../api/client.js';
import { has, number, t } from '../i18n/index.js';

const HIDDEN = new Set(['data_objects']);
const MAX_ROWS = 200;

export function label(name) {
  if (has(`var.${name}`)) return t(`var.${name}`);
  const words = String(name).replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function isRecord(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function Value({ value, documents, depth }) {
  if (value === null || value === undefined || value === '') return <span class="muted">—</span>;
  if (typeof value === 'boolean') return <>{value ? t('form.yes') : t('form.no')}</>;
  if (typeof value === 'number') return <span class="number">{number(value)}</span>;
  if (typeof value === 'string') {
    const document = documents[value];
    if (document) {
      return (
        <a href={`/api/v1/documents/${document.id}/content`} data-document-id={document.id}
          onClick={(event) => { event.preventDefault(); downloadDocument(document.id, document.filename); }}>
          {document.filename}
        </a>
      );
    }
    if (has(`enum.${value}`)) return <>{t(`enum.${value}`)}</>;
    return <span class="text">{value}</span>;
  }
  if (Array.isArray(value)) {
    if (value.length && value.every(isRecord)) return <RecordTable rows={value} documents={documents} depth={depth} />;
    return <>{value.map((item, i) => <span key={i}>{i > 0 && ', '}<Value value={item} documents={documents} depth={depth + 1} /></span>)}</>;
  }
  if (depth > 3) return <code>{JSON.stringify(value)}</code>;
  return <Fields data={value} documents={documents} depth={depth + 1} />;
}

function RecordTable({ rows, documents, depth }) {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  return (
    <div class="table-scroll">
      <table class="records">
        <thead><tr>{columns.map((column) => <th scope="col" key={column}>{label(column)}</th>)}</tr></thead>
        <tbody>
          {rows.slice(0, MAX_ROWS).map((row, i) => (
            <tr key={i}>{columns.map((column) => (
              <td key={column} data-label={label(column)}><Value value={row[column]} documents={documents} depth={depth + 1} /></td>
            ))}</tr>
          ))}
        </tbody>
      </table>
      {rows.length > MAX_ROWS && <p class="muted">{t('vars.more', { count: rows.length - MAX_ROWS })}</p>}
    </div>
  );
}

function Fields({ data, documents, depth }) {
  const names = Object.keys(data).filter((name) => !HIDDEN.has(name) && !name.startsWith('_'));
  // tables last, so the short facts come first
  const tables = names.filter((name) => Array.isArray(data[name]) && data[name].length && data[name].every(isRecord));
  const facts = names.filter((name) => !tables.includes(name));
  return (
    <>
      {facts.length > 0 && (
        <dl class="facts">
          {facts.map((name) => (
            <div class="fact" key={name}>
              <dt>{label(name)}</dt>
              <dd><Value value={data[name]} documents={documents} depth={depth} /></dd>
            </div>
          ))}
        </dl>
      )}
      {tables.map((name) => (
        <section class="record-section" key={name}>
          <h3>{label(name)}</h3>
          <RecordTable rows={data[name]} documents={documents} depth={depth} />
        </section>
      ))}
    </>
  );
}

/** `data`: the variables; `documents`: {id: document} of the instance, to link ids. */
export function VariablesView({ data, documents = {} }) {
  if (!data || !Object.keys(data).length) return <p class="muted">{t('vars.empty')}</p>;
  return <div class="variables"><Fields data={data} documents={documents} depth={0} /></div>;
}
