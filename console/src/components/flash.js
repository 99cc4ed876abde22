// A short message that survives a change of page ("Task completed."), read once.
import { useEffect, useState } from 'preact/hooks';

let pending = null;
const listeners = new Set();

export function flash(text, kind = 'success') {
  pending = { text, kind, at: Date.now() };
  listeners.forEach((listener) => listener(pending));
}

export function useFlash() {
  const [message, setMessage] = useState(pending);
  useEffect(() => {
    listeners.add(setMessage);
    return () => listeners.delete(setMessage);
  }, []);
  return [message, () => { pending = null; setMessage(null); }];
}
