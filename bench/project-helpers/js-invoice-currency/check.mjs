import assert from 'node:assert/strict';
import { invoiceTotal } from './src/invoice.js';
assert.equal(invoiceTotal([{ cents: 1000 }, { cents: 250 }]), '€12.50');
