import { slugify } from './text.js';

/** The URL path of a post with this title. */
export function postPath(title) {
  const slug = slugify(title);
  return `/posts/${slug}`;
}
