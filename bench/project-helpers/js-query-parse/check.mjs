import assert from 'node:assert/strict';
import { pageNumber } from './src/router.js';
assert.equal(pageNumber('?q=x&page=3'), 3);
assert.equal(pageNumber(''), 1);
