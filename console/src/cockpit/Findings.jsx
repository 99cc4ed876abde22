// The server's answer about files sent to it: the problems (a refused deployment's or the
// check's) and the warnings, each {file, line, element_id, message}.
import { ApiError } from '../api/client.js';
import { t } from '../i18n/index.js';

/** The problems of a refused deployment (400: errors [{file, line, column, element_id, message}]). */
export function problemsOf(error) {
  const errors = error instanceof ApiError ? error.problem.errors : null;
  return Array.isArray(errors) ? errors : null;
}

/** The server's problems or warnings, each {file, line, element_id, message}; an element's
 * id selects it (on the diagram) when `onSelect` is given. */
export function Findings({ id, title, items, onSelect }) {
  if (!items.length) return null;
  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      <ul class="problems" data-testid={id}>
        {items.map((p, i) => (
          <li key={i}>
            {p.element_id && onSelect ? <button type="button" class="link" onClick={() => onSelect(p.element_id)}>{p.element_id}</button> : p.element_id || p.file}
            {p.line ? ` (${t('modeler.line', { line: p.line })})` : ''}: {p.message}
          </li>
        ))}
      </ul>
    </section>
  );
}

