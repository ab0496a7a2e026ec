import assert from 'node:assert/strict';
import { inRange } from './src/delivery.js';
assert.equal(inRange([52.52, 13.40], [52.50, 13.45], 5), true);
assert.equal(inRange([52.52, 13.40], [52.52, 13.50], 5), false);
