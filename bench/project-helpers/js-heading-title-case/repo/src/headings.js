import { toTitleCase } from './strings.js';

/** Section headings are shown in title case. */
export function setHeading(heading, raw) {
  heading.text = toTitleCase(raw);
  return heading;
}
