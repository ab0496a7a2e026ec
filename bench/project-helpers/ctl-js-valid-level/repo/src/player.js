import { clamp } from './math.js';

/** Whether a volume level is within 0-100. */
export function isValidLevel(level) {
  return level >= 0 && level <= 100;
}
