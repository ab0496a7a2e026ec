import { Cart } from './cart.js';

/** The "buy again" button: the same product once more. */
export function buyAgain(cart, sku, quantity) {
  cart.addItem(sku, quantity);
  return cart;
}
