const DAY_MS = 24 * 60 * 60 * 1000;

/** Whole days from one date to a later one. */
export function daysBetween(earlier, later) {
  return Math.floor((later - earlier) / DAY_MS);
}
