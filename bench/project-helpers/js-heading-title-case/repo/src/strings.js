/** Every word capitalised: "the old man" becomes "The Old Man". */
export function toTitleCase(text) {
  return text.replace(/\b\w/g, (c) => c.toUpperCase());
}
