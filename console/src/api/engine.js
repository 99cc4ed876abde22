// The engine's operations the console uses, by name (paths and parameters in one place).
import { download, get, getText, post, postFiles, request } from './client.js';

const enc = encodeURIComponent;

export const signIn = (username, password) => post('/auth/token', { username, password });
export const me = () => get('/me');
export const changePassword = (current, next) => post('/me/password', { current_password: current, new_password: next });

export const definitions = () => get('/process-definitions');
export const startableProcesses = () => get('/me/startable-processes');
export const startInstance = (key, variables) => post(`/process-definitions/${enc(key)}/instances`, { variables });
export const units = () => get('/units');

export const tasks = (query, options) => get('/tasks', query, options);
export const task = (id) => get(`/tasks/${enc(id)}`);
export const taskForm = (id) => get(`/tasks/${enc(id)}/form`);
export const taskVariables = (id) => get(`/tasks/${enc(id)}/variables`);
export const claim = (id) => post(`/tasks/${enc(id)}/claim`);
export const unclaim = (id) => post(`/tasks/${enc(id)}/unclaim`);
export const reassign = (id, username, reason) => post(`/tasks/${enc(id)}/reassign`, { username, ...(reason ? { reason } : {}) });
export const complete = (id, data) => post(`/tasks/${enc(id)}/complete`, { data });

export const instances = (query) => get('/process-instances', query);
export const instance = (id) => get(`/process-instances/${enc(id)}`);
export const instanceDocuments = (id) => get(`/process-instances/${enc(id)}/documents`);
export const instanceTimeline = (id) => get(`/process-instances/${enc(id)}/timeline`);
export const instanceDiagram = (id) => get(`/process-instances/${enc(id)}/diagram`);

export { request };

// ---------------------------------------------------------------- the cockpit
export const searchInstances = (query) => get('/cockpit/instances', query);
export const versionLoad = (key, version) => get(`/cockpit/process-definitions/${enc(key)}/versions/${enc(version)}/load`);
export const instanceChain = (id) => get(`/cockpit/process-instances/${enc(id)}/chain`);
export const instanceHistory = (id, query) => get(`/process-instances/${enc(id)}/history`, query);
export const replay = (id) => post(`/process-instances/${enc(id)}/replay`);
export const auditBundle = (id) => download(`/process-instances/${enc(id)}/audit-bundle`, `lkj-audit-${id}.zip`);
export const changeStatus = (id, status, reason) => request('PATCH', `/process-instances/${enc(id)}`, { body: { status, ...(reason ? { reason } : {}) } });
export const retry = (id, data, reason) => post(`/process-instances/${enc(id)}/retry`, { data, ...(reason ? { reason } : {}) });
export const slaReport = (query) => get('/reports/sla', query);
export const slaCsv = (query, table) => download('/reports/sla', `lkj-sla-${table}.csv`, { ...query, format: 'csv', table });
export const versions = (key) => get(`/process-definitions/${enc(key)}/versions`);
export const versionForms = (key, version) => get(`/process-definitions/${enc(key)}/versions/${enc(version)}/forms`);
export const versionXml = (key, version) => getText(`/process-definitions/${enc(key)}/versions/${enc(version)}/xml`);
export const deploy = (files) => postFiles('/deployments', files);

/** The server's problems and warnings with diagrams and forms, nothing stored: {problems, warnings}. */
export const checkDiagrams = (files) => postFiles('/deployments/check', files);
export const deployments = () => get('/deployments', { limit: 500 });
export const suspendProcess = (key) => post(`/process-definitions/${enc(key)}/suspend`);
export const resumeProcess = (key) => post(`/process-definitions/${enc(key)}/resume`);
export const deleteVersion = (key, version) => request('DELETE', `/process-definitions/${enc(key)}/versions/${enc(version)}`);

// ---------------------------------------------------------------- administration
export const users = () => get('/users');
export const createUser = (user) => post('/users', user);
export const updateUser = (username, changes) => request('PATCH', `/users/${enc(username)}`, { body: changes });
export const calendarYear = (year) => get(`/calendar/${enc(year)}`);
export const setCalendarDay = (date, change) => request('PUT', `/calendar/days/${enc(date)}`, { body: change });
export const resetCalendarDay = (date) => request('DELETE', `/calendar/days/${enc(date)}`);
export const outbox = (query) => get('/cockpit/outbox', query);
export const retryOutboxMessage = (id) => post(`/cockpit/outbox/${enc(id)}/retry`);
export const moveVersion = (key, version, toVersion, dryRun) => post(
  `/process-definitions/${enc(key)}/versions/${enc(version)}/migrate`, { to_version: toVersion, dry_run: dryRun });
export const completedTasks = (query) => get('/history/tasks', query);
