// Names people read instead of identifiers: roles (queues), units, processes.
import { t } from '../i18n/index.js';

const UNIT_PREFIX = 'satuan_kerja:';
// The roles the console offers to choose from; each unit adds its own `satuan_kerja:<code>`.
export const KNOWN_ROLES = ['kepala_biro', 'kepala_bagian', 'kepala_subbagian', 'staf', 'deputi', 'menteri',
  'biro_tata_usaha', 'tim', 'inspektur', 'biro_umum', 'biro_it', 'admin', 'auditor'];

/** Every role one may hold: the known ones and each unit's. */
export function allRoles(unitList = []) {
  return [...KNOWN_ROLES, ...unitList.map((unit) => `${UNIT_PREFIX}${unit.code}`)];
}

export function roleLabel(role, units = {}) {
  if (!role) return '';
  if (role.startsWith(UNIT_PREFIX)) {
    const code = role.slice(UNIT_PREFIX.length);
    return t('role.unit', { unit: units[code] ? `${units[code]} (${code})` : code });
  }
  const key = `role.${role}`;
  const text = t(key);
  return text === key ? role : text;
}

export function processLabel(key, definitions = {}) {
  return definitions[key] || key;
}

export function userLabel(username, me) {
  if (!username) return t('task.unassigned');
  return me && username === me.username ? `${t('task.you')} (${username})` : username;
}
