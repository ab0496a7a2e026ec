import { recordLogin } from './audit.js';

export const SESSIONS = new Set();

/** Open a session for `user`; every login is audited. */
export function logIn(user) {
  SESSIONS.add(user);
  recordLogin(user);
  return user;
}
