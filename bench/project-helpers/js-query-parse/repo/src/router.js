import { parseQuery } from './url.js';

/** The page number asked for in a query string, 1 when absent. */
export function pageNumber(search) {
  const params = parseQuery(search);
  return Number(params.page ?? 1);
}
