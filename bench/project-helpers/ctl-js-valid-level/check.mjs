import assert from 'node:assert/strict';
import { isValidLevel } from './src/player.js';
assert.equal(isValidLevel(50), true);
assert.equal(isValidLevel(140), false);
