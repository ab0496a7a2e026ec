import assert from 'node:assert/strict';
import { EVENTS } from './src/audit.js';
import { logIn } from './src/session.js';
logIn('ada');
assert.deepEqual(EVENTS, [['login', 'ada']]);
