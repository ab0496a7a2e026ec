import assert from 'node:assert/strict';
import { Cart } from './src/cart.js';
import { buyAgain } from './src/checkout.js';
const cart = new Cart();
buyAgain(cart, 'A', 2);
buyAgain(cart, 'A', 1);
assert.equal(cart.lines.get('A'), 3);
