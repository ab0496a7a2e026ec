import assert from 'node:assert/strict';
import { register } from './src/users.js';
assert.equal(register(new Map(), 'ada', ' Ada+x@Example.ORG ').get('ada'), 'ada@example.org');
