import { daysBetween } from './dates.js';

/** Accounts younger than 30 days get the welcome banner. */
export function isNewAccount(account, today) {
  const age = daysBetween(account.created, today);
  return age < 30;
}
