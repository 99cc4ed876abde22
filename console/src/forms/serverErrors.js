// The server's field errors ({"indicators.0.target": ["..."]}, problem+json `errors`) as the
// form library's error tree ({indicators: {0: {target: {__errors: [...]}}}}), so each
// message shows at its field. `prefix` is dropped first (a start's fields are
// `variables.<name>`). Messages for the whole form go to the root.

export function errorSchemaOf(fieldErrors, prefix) {
  const entries = Object.entries(fieldErrors || {});
  if (!entries.length) return undefined;
  const tree = {};
  for (const [path, messages] of entries) {
    let parts = path.split('.').filter(Boolean);
    if (prefix && parts[0] === prefix) parts = parts.slice(1);
    if (parts.length === 1 && ['data', '_body', prefix].includes(parts[0])) parts = [];
    let node = tree;
    for (const part of parts) node = node[part] ??= {};
    node.__errors = [...(node.__errors || []), ...(Array.isArray(messages) ? messages : [String(messages)])];
  }
  return tree;
}
