export class Cart {
  constructor() {
    this.lines = new Map();
  }

  /** Put `quantity` units of `sku` in the cart (added to any already there). */
  addItem(sku, quantity) {
    this.lines.set(sku, (this.lines.get(sku) ?? 0) + quantity);
  }

  /** Take every unit of `sku` out of the cart. */
  removeItem(sku) {
    this.lines.delete(sku);
  }
}
