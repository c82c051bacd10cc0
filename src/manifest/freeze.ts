/**
 * Freezes a JSON-shaped value and everything inside it, in place, and returns it. Frozen objects are skipped, so a
 * value shared by two parents is walked once.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  // Children first: a frozen parent is the sign that the whole value is done.
  for (const item of Object.values(value)) deepFreeze(item);
  return Object.freeze(value);
}
