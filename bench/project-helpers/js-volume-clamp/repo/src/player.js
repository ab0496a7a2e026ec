import { clamp } from './math.js';

/** Apply a volume level; anything outside 0-100 is brought into range. */
export function setVolume(player, level) {
  const volume = clamp(level, 0, 100);
  player.volume = volume;
  return player;
}
