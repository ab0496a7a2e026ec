import { backoffDelay } from './backoff.js';

/** The waits between the attempts of a request retried `times` times. */
export function retrySchedule(times) {
  const waits = [];
  for (let attempt = 0; attempt < times; attempt++) {
    const wait = backoffDelay(attempt);
    waits.push(wait);
  }
  return waits;
}
