import assert from 'node:assert/strict';
import { SESSIONS, activeSessions } from './src/session.js';
SESSIONS.add('a');
SESSIONS.add('b');
assert.equal(activeSessions(), 2);
