/** The canonical form of an email address: trimmed, lower-case, without a +tag. */
export function normalizeEmail(address) {
  const [local, domain] = address.trim().toLowerCase().split('@');
  return `${local.split('+')[0]}@${domain}`;
}
