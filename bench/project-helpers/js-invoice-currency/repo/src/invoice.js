import { formatCurrency } from '../lib/money.js';

/** The total of an invoice in euros, for display. */
export function invoiceTotal(lines) {
  const total = lines.reduce((sum, line) => sum + line.cents, 0);
  return formatCurrency(total, 'EUR');
}
