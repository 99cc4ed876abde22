// A small router on the History API: the console's pages have real paths (the server
// answers each with index.html, api/routes/console.py), links stay links, and Back works.
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set();

function notify() {
  listeners.forEach((listener) => listener(current()));
}

function current() {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

window.addEventListener('popstate', notify);

export function navigate(to, { replace = false } = {}) {
  if (to === window.location.pathname + window.location.search) return;
  window.history[replace ? 'replaceState' : 'pushState'](null, '', to);
  window.scrollTo(0, 0);
  notify();
}

/** Change the query string of the current page (filters, tabs) without a history entry. */
export function setQuery(values) {
  const query = new URLSearchParams(window.location.search);
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === null || value === '' || value === false) query.delete(key);
    else query.set(key, String(value));
  }
  const text = query.toString();
  navigate(`${window.location.pathname}${text ? `?${text}` : ''}`, { replace: true });
}

export function useLocation() {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    listeners.add(setLocation);
    return () => listeners.delete(setLocation);
  }, []);
  return location;
}

/** The parameters of `path` if it fits `pattern` (`/tasks/:id`), else null. */
export function match(pattern, path) {
  const names = [];
  const source = pattern.replace(/:([a-z]+)/gi, (_, name) => {
    names.push(name);
    return '([^/]+)';
  });
  const found = new RegExp(`^${source}/?$`).exec(path);
  if (!found) return null;
  return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1])]));
}

/** An <a> that changes page without reloading (a modified click still opens a new tab). */
export function Link({ href, children, onClick, ...rest }) {
  const follow = (event) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={follow} {...rest}>{children}</a>;
}
