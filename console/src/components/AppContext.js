// What every page of a signed-in user may need: who they are, the process names, the units.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export const AppContext = createContext(null);

export function useApp() {
  return useContext(AppContext);
}
