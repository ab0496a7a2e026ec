/** Lower-case, hyphen-separated form of a title, for URLs. */
export function slugify(title) {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
