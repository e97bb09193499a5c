import { type ClaimNames, DEFAULT_CLAIMS, readToken, type Session } from './claims.js';

export { type ClaimNames, DEFAULT_CLAIMS, may, type RouteId, readToken, type Session } from './claims.js';

const STORAGE_KEY = 'sluice.session';

/** The session kept for this tab (sessionStorage: gone when the tab closes, never shared with another site). */
export function loadSession(names: ClaimNames = DEFAULT_CLAIMS): Session | undefined {
  const stored = sessionStorage.getItem(STORAGE_KEY);
  if (!stored) return undefined;
  try {
    return readToken(stored, names);
  } catch {
    sessionStorage.removeItem(STORAGE_KEY);
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(STORAGE_KEY, session.token);
  else sessionStorage.removeItem(STORAGE_KEY);
}
