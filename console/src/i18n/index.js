// The console's words and formats: Bahasa Indonesia first, English second; times always in
// Asia/Jakarta (the calendar the due dates count in), whatever the browser's own zone.
import { useEffect, useState } from 'preact/hooks';
import id from './id.js';
import en from './en.js';

export const LOCALES = { id: { name: 'Bahasa Indonesia', tag: 'id-ID', words: id },
  en: { name: 'English', tag: 'en-GB', words: en } };
export const TIME_ZONE = 'Asia/Jakarta';
const STORE_KEY = 'lkj.locale';
const listeners = new Set();
let current = readStoredLocale();

function readStoredLocale() {
  try {
    const stored = localStorage.getItem(STORE_KEY);
    if (stored && LOCALES[stored]) return stored;
  } catch { /* storage off: the default */ }
  return 'id';
}

export function locale() {
  return current;
}

export function setLocale(code) {
  if (!LOCALES[code] || code === current) return;
  current = code;
  try { localStorage.setItem(STORE_KEY, code); } catch { /* kept for this page only */ }
  document.documentElement.lang = code;
  document.title = t('app.title');
  listeners.forEach((listener) => listener(code));
}

/** Re-render the calling component when the language changes. */
export function useLocale() {
  const [code, setCode] = useState(current);
  useEffect(() => {
    listeners.add(setCode);
    return () => listeners.delete(setCode);
  }, []);
  return code;
}

/** The text of `key` in the current language with `{name}` parts filled from `values`. */
export function t(key, values = {}) {
  const text = LOCALES[current].words[key] ?? LOCALES.id.words[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

export function has(key) {
  return key in LOCALES[current].words;
}

const formats = new Map();
function format(kind, options) {
  const key = `${current}:${kind}`;
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat(LOCALES[current].tag, { timeZone: TIME_ZONE, ...options }));
  return formats.get(key);
}

/** `12 Mar 2026 10.00 WIB`: a moment as read in Jakarta. */
export function dateTime(iso) {
  if (!iso) return '';
  return format('dateTime', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(new Date(iso));
}

export function dateOnly(iso) {
  if (!iso) return '';
  return format('date', { day: 'numeric', month: 'long', year: 'numeric' }).format(new Date(iso));
}

export function timeOnly(date) {
  return format('time', { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(date);
}

/** The machine-readable form for <time datetime>. */
export function isoAttribute(iso) {
  return iso ? new Date(iso).toISOString() : undefined;
}

export function number(value) {
  // min2: a year stays 2025, a budget reads 12.500.000.000
  return new Intl.NumberFormat(LOCALES[current].tag, { maximumFractionDigits: 2, useGrouping: 'min2' }).format(value);
}

export function bytes(size) {
  if (size < 1024) return `${number(size)} B`;
  if (size < 1024 * 1024) return `${number(size / 1024)} KiB`;
  return `${number(size / 1024 / 1024)} MiB`;
}
