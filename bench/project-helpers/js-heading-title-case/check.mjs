import assert from 'node:assert/strict';
import { setHeading } from './src/headings.js';
assert.equal(setHeading({}, 'the old man').text, 'The Old Man');
