import { setTimeout as sleep } from "node:timers/promises";

/** How long writers keep retrying a lost compare-and-swap, and how often a refused write is tried again. */
export interface RetryBound {
  /** Give up after this long. @default 60000 */
  timeoutMs: number;
  /** Give up after this many refusals (a hook or a protected branch that says no says it every time). @default 4 */
  refusals: number;
}

/** Full-jitter exponential backoff: 10 ms doubling up to 1 s, a random wait below that, so racing writers spread out. */
export async function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(1000, 10 * 2 ** Math.min(attempt, 7));
  await sleep(Math.floor(Math.random() * ceiling) + 1);
}
