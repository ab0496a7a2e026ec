/** Milliseconds to wait before retry number `attempt` (0-based): 100, 200, 400, ... */
export function backoffDelay(attempt) {
  return 100 * 2 ** attempt;
}
