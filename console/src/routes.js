// The console's pages: which path, which module (loaded when first needed), whether it is
// in the main navigation, and who may see it. A page for some roles only names them in
// `roles` (e.g. an administrator's page: roles: ['admin']); without `roles` every signed-in
// user sees it. The paths themselves are in paths.js (the server reads them too).
import { PATHS } from './paths.js';

export const ROUTES = [
  { name: 'inbox', load: () => import('./pages/InboxPage.jsx'), nav: 'nav.inbox' },
  { name: 'task', load: () => import('./pages/TaskPage.jsx') },
  { name: 'start', load: () => import('./pages/StartPage.jsx'), nav: 'nav.start' },
  { name: 'instances', load: () => import('./pages/InstancesPage.jsx'), nav: 'nav.instances' },
  { name: 'instance', load: () => import('./pages/InstancePage.jsx') },
  { name: 'cockpit', load: () => import('./pages/CockpitPage.jsx'), nav: 'nav.cockpit', roles: ['admin', 'auditor'] },
  { name: 'cockpitInstance', load: () => import('./pages/CockpitInstancePage.jsx'), roles: ['admin', 'auditor'] },
  { name: 'completedTasks', load: () => import('./pages/CompletedTasksPage.jsx'), nav: 'nav.completedTasks', roles: ['admin', 'auditor'] },
  { name: 'sla', load: () => import('./pages/SlaPage.jsx'), nav: 'nav.sla', roles: ['admin', 'auditor', 'kepala_biro'] },
  { name: 'definitions', load: () => import('./pages/DefinitionsPage.jsx'), nav: 'nav.definitions', roles: ['admin'] },
  { name: 'compare', load: () => import('./pages/ComparePage.jsx'), roles: ['admin'] },
  { name: 'forms', load: () => import('./pages/FormsPage.jsx'), roles: ['admin'] },
  { name: 'modeler', load: () => import('./pages/ModelerPage.jsx'), roles: ['admin'] },
  { name: 'users', load: () => import('./pages/UsersPage.jsx'), nav: 'nav.admin', roles: ['admin'] },
  { name: 'calendar', load: () => import('./pages/CalendarPage.jsx'), roles: ['admin'] },
  { name: 'outbox', load: () => import('./pages/OutboxPage.jsx'), roles: ['admin'] },
  { name: 'account', load: () => import('./pages/AccountPage.jsx'), nav: 'nav.account' },
].map((route) => ({ ...route, path: PATHS[route.name] }));

export function mayVisit(route, user) {
  return !route.roles || route.roles.some((role) => user.roles.includes(role));
}
