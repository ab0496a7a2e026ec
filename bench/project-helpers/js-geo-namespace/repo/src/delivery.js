import * as geo from './geo.js';

/** Whether an address is within the depot's delivery radius. */
export function inRange(depot, address, radiusKm) {
  return geo.distanceKm(depot, address) <= radiusKm;
}
