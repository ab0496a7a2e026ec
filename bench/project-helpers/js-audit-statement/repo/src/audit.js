export const EVENTS = [];

/** Append a login event for `user` to the audit trail. */
export function recordLogin(user) {
  EVENTS.push(['login', user]);
}
