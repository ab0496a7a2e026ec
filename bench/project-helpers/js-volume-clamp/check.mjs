import assert from 'node:assert/strict';
import { setVolume } from './src/player.js';
assert.equal(setVolume({}, 140).volume, 100);
assert.equal(setVolume({}, -3).volume, 0);
