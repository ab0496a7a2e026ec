import assert from 'node:assert/strict';
import { retrySchedule } from './src/fetcher.js';
assert.deepEqual(retrySchedule(3), [100, 200, 400]);
