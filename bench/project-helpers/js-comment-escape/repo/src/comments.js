import { escapeHtml } from './html.js';

/** A visitor's comment as an HTML paragraph. */
export function renderComment(comment) {
  return '<p>' + escapeHtml(comment.text) + '</p>';
}
