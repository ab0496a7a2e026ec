/** The parameters of a query string ("?a=1&b=2") as an object of strings. */
export function parseQuery(search) {
  const out = {};
  for (const part of search.replace(/^\?/, '').split('&').filter(Boolean)) {
    const [key, value = ''] = part.split('=');
    out[decodeURIComponent(key)] = decodeURIComponent(value);
  }
  return out;
}
