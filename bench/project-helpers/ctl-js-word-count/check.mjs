import assert from 'node:assert/strict';
import { wordCount } from './src/posts.js';
assert.equal(wordCount('one two three'), 3);
