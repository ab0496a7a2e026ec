import { slugify } from './text.js';

/** How many words a post's text has. */
export function wordCount(text) {
  return text.split(' ').length;
}
