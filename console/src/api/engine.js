// The engine's operations the console uses, by name (paths and parameters in one place).
import { get, post, request } from './client.js';

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
export const complete = (id, data) => post(`/tasks/${enc(id)}/complete`, { data });

export const instances = (query) => get('/process-instances', query);
export const instance = (id) => get(`/process-instances/${enc(id)}`);
export const instanceDocuments = (id) => get(`/process-instances/${enc(id)}/documents`);
export const instanceTimeline = (id) => get(`/process-instances/${enc(id)}/timeline`);
export const instanceDiagram = (id) => get(`/process-instances/${enc(id)}/diagram`);

export { request };
