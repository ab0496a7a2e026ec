import { recordLogin } from './audit.js';

export const SESSIONS = new Set();

/** How many sessions are open. */
export function activeSessions() {
  return SESSIONS.size;
}
