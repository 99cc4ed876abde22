// The one way the console talks to the engine: the public REST API (/api/v1) on the same
// origin, with the session's bearer token. Every failure becomes an ApiError (a
// problem+json answer) or a NetworkError; both kinds that are nobody's fault on the page
// (no connection, a 5xx) also raise the connection banner, and a 401 ends the session.
import { has, t } from '../i18n/index.js';

const BASE = '/api/v1';
const SESSION_KEY = 'lkj.session';
const PROBLEM_TYPE = 'urn:lkj:problem:';

// The engine explains in English; the problems people meet at work (a task someone else
// took, an instance on hold, a file too large) are said in the console's language instead.
function explanation(status, problem) {
  const type = problem?.type || '';
  const key = type.startsWith(PROBLEM_TYPE) ? `problem.${type.slice(PROBLEM_TYPE.length)}` : null;
  if (key && has(key)) return t(key);
  return problem?.detail || problem?.title || `HTTP ${status}`;
}

export class ApiError extends Error {
  constructor(status, problem, retryAfter = null) {
    super(explanation(status, problem));
    this.status = status;
    this.retryAfter = retryAfter; // seconds, on a 429
    this.problem = problem || {};
    // {dotted.field: [messages]} for 422s that name fields
    this.fieldErrors = problem && typeof problem.errors === 'object' && !Array.isArray(problem.errors) ? problem.errors : {};
  }
}

export class NetworkError extends Error {}

// ---------------------------------------------------------------- the session

let session = readSession();
const sessionListeners = new Set();

function readSession() {
  try {
    const stored = JSON.parse(localStorage.getItem(SESSION_KEY) || 'null');
    if (stored && stored.token && stored.expiresAt > Date.now()) return stored;
  } catch { /* a broken entry is no session */ }
  return null;
}

export function currentSession() {
  return session;
}

export function setSession(next) {
  session = next;
  try {
    if (next) localStorage.setItem(SESSION_KEY, JSON.stringify(next));
    else localStorage.removeItem(SESSION_KEY);
  } catch { /* kept in memory only */ }
  sessionListeners.forEach((listener) => listener(session));
}

export function onSessionChange(listener) {
  sessionListeners.add(listener);
  return () => sessionListeners.delete(listener);
}

// ---------------------------------------------------------------- the connection banner

let connection = null; // null, or {kind: 'offline' | 'server', status}
const connectionListeners = new Set();

function setConnection(next) {
  if (JSON.stringify(next) === JSON.stringify(connection)) return;
  connection = next;
  connectionListeners.forEach((listener) => listener(connection));
}

export function onConnectionChange(listener) {
  connectionListeners.add(listener);
  listener(connection);
  return () => connectionListeners.delete(listener);
}

export function clearConnectionProblem() {
  setConnection(null);
}

// ---------------------------------------------------------------- requests

function url(path, query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return `${BASE}${path}${text ? `?${text}` : ''}`;
}

function authHeaders() {
  return session ? { Authorization: `Bearer ${session.token}` } : {};
}

async function answer(response, path) {
  const type = response.headers.get('Content-Type') || '';
  const body = type.includes('json') ? await response.json().catch(() => null) : null;
  if (response.status >= 500) setConnection({ kind: 'server', status: response.status });
  else setConnection(null);
  if (response.ok) return body;
  if (response.status === 401 && path !== '/auth/token' && session) {
    setSession(null); // the app returns to the sign-in page
  }
  throw new ApiError(response.status, body, response.headers.get('Retry-After'));
}

/** A JSON request; resolves to the answer's JSON (null for no body). */
export async function request(method, path, { body, query, signal } = {}) {
  let response;
  try {
    response = await fetch(url(path, query), {
      method,
      signal,
      headers: { Accept: 'application/json', ...authHeaders(), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    setConnection({ kind: 'offline' });
    throw new NetworkError(error.message);
  }
  return answer(response, path);
}

export const get = (path, query, options) => request('GET', path, { ...options, query });
export const post = (path, body, options) => request('POST', path, { ...options, body });

/** Upload a file to an instance; `onProgress(fraction)` as it goes. Resolves to the
 * document's metadata. XMLHttpRequest, because fetch reports no upload progress. */
export function uploadDocument(instanceId, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url(`/process-instances/${encodeURIComponent(instanceId)}/documents`));
    const headers = authHeaders();
    if (headers.Authorization) xhr.setRequestHeader('Authorization', headers.Authorization);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress?.(event.loaded / event.total);
    };
    xhr.onerror = () => {
      setConnection({ kind: 'offline' });
      reject(new NetworkError('upload failed'));
    };
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 500) setConnection({ kind: 'server', status: xhr.status });
      else setConnection(null);
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else {
        if (xhr.status === 401 && session) setSession(null);
        reject(new ApiError(xhr.status, body));
      }
    };
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/** Save what an API path answers as a file: it needs the bearer token, which a plain link
 * cannot send, so it is fetched and handed to the browser as a download. */
export async function download(path, filename, query) {
  let response;
  try {
    response = await fetch(url(path, query), { headers: authHeaders() });
  } catch (error) {
    setConnection({ kind: 'offline' });
    throw new NetworkError(error.message);
  }
  if (!response.ok) return answer(response, path);
  setConnection(null);
  const blob = await response.blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  return null;
}

export const downloadDocument = (documentId, filename) => download(
  `/documents/${encodeURIComponent(documentId)}/content`, filename || 'dokumen');

/** Send files as multipart/form-data in the field `files` (deployments). */
export async function postFiles(path, files) {
  const form = new FormData();
  for (const file of files) form.append('files', file, file.name);
  let response;
  try {
    response = await fetch(url(path), { method: 'POST', headers: { Accept: 'application/json', ...authHeaders() }, body: form });
  } catch (error) {
    setConnection({ kind: 'offline' });
    throw new NetworkError(error.message);
  }
  return answer(response, path);
}

/** A text answer (a diagram's XML) and the file name its Content-Disposition gives. */
export async function getText(path) {
  let response;
  try {
    response = await fetch(url(path), { headers: authHeaders() });
  } catch (error) {
    setConnection({ kind: 'offline' });
    throw new NetworkError(error.message);
  }
  if (!response.ok) return answer(response, path);
  setConnection(null);
  const disposition = response.headers.get('Content-Disposition') || '';
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] || null;
  return { text: await response.text(), filename: name };
}
