import type { InstanceAmount } from "../drivers/driver.js";
import { BakeError } from "../errors.js";

/** Reads `N` or `N%` (as `--max-surge` and `--max-unavailable` take them). */
export function parseAmount(option: string, text: string): InstanceAmount {
  const match = /^\s*(\d{1,6})\s*(%?)\s*$/.exec(text);
  if (!match || (match[2] === "%" && Number(match[1]) > 100)) {
    throw new BakeError({
      code: "usage",
      message: `--${option} ${JSON.stringify(text)} is not a count or a percent`,
      hint: `give a whole number of instances (--${option} 3) or a percent of the group (--${option} 10%)`,
    });
  }
  const value = Number(match[1]);
  return match[2] === "%" ? { percent: value } : { fixed: value };
}

/** An amount as written: `3` or `10%`. */
export function formatAmount(amount: InstanceAmount): string {
  return "fixed" in amount ? String(amount.fixed) : `${amount.percent}%`;
}
