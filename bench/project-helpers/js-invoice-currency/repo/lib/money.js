const SYMBOLS = { EUR: '€', USD: '$' };

/** An amount in cents as shown to customers: "€12.50". */
export function formatCurrency(cents, currency) {
  return `${SYMBOLS[currency]}${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}
