const cache = new Map<string, RegExp>();

/** Whether `value` matches `pattern` in full (the pattern is wrapped in `^(?:...)$`); throws on a bad pattern. */
export function fullMatch(pattern: string, value: string): boolean {
  let regex = cache.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(`^(?:${pattern})$`, "u");
    cache.set(pattern, regex);
  }
  return regex.test(value);
}
