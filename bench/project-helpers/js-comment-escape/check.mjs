import assert from 'node:assert/strict';
import { renderComment } from './src/comments.js';
assert.equal(renderComment({ text: '<b>hi</b>' }), '<p>&lt;b&gt;hi&lt;/b&gt;</p>');
