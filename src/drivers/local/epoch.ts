/** The epoch every layer time is clamped to: SOURCE_DATE_EPOCH when set, else 0. */
export function sourceDateEpoch(env: Readonly<Record<string, string | undefined>>): number {
  const value = Number(env.SOURCE_DATE_EPOCH);
  return Number.isInteger(value) && value >= 0 ? value : 0;
}
