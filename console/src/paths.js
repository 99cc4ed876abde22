// The console's pages by name. Pure data: the build reads the first segments of these
// patterns into sections.json, from which the server knows which paths are console pages
// (api/routes/console.py); the router matches them in the browser.
export const PATHS = {
  inbox: '/',
  signIn: '/signin',
  task: '/tasks/:id',
  start: '/start',
  instances: '/instances',
  instance: '/instances/:id',
  account: '/account',
  cockpit: '/cockpit',
  cockpitInstance: '/cockpit/instances/:id',
  sla: '/sla',
  definitions: '/definitions',
  modeler: '/definitions/:key/versions/:version',
  compare: '/definitions/:key/compare',
  forms: '/definitions/:key/versions/:version/forms',
  completedTasks: '/audit/tasks',
  users: '/admin/users',
  calendar: '/admin/calendar',
  outbox: '/admin/outbox',
};

/** The first path segments of the pages (the server answers them with index.html). */
export function sections(paths = PATHS) {
  const firsts = Object.values(paths)
    .map((pattern) => pattern.split('/')[1])
    .filter((segment) => segment && !segment.startsWith(':'));
  return [...new Set(firsts)].sort();
}

/** `/tasks/:id` with {id: 'x'} -> `/tasks/x` (values URL-encoded). */
export function pathTo(name, params = {}) {
  return PATHS[name].replace(/:([a-z]+)/gi, (_, key) => encodeURIComponent(params[key]));
}
