import assert from 'node:assert/strict';
import { isNewAccount } from './src/accounts.js';
const created = new Date('2024-01-01');
assert.equal(isNewAccount({ created }, new Date('2024-01-20')), true);
assert.equal(isNewAccount({ created }, new Date('2024-03-01')), false);
