import { normalizeEmail } from './email.js';

/** Remember a user's email address. */
export function register(users, name, email) {
  users.set(name, normalizeEmail(email));
  return users;
}
