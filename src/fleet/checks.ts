import { request } from "node:http";
import type { GroupMember } from "../drivers/driver.js";
import type { PlannedRolloutCheck } from "../plan/types.js";

/** Consecutive failed attempts of a rollout check that fail the rollout, at the least (as for UNHEALTHY polls). */
export const CHECK_FAILURES_AT_LEAST = 3;

// Enough of a body to find `bodyContains` in; the rest is not read.
const BODY_LIMIT = 64 * 1024;

/** How one attempt of a rollout check went. */
export interface CheckAttempt {
  ok: boolean;
  /** What happened, for people: `answered 500, expected 200`, `connection refused`, ... */
  detail: string;
}

/** The URL a rollout check sends its GET to, for an instance's internal address. */
export function checkUrl(check: PlannedRolloutCheck, address: string): string {
  const host = address.includes(":") ? `[${address}]` : address;
  return `http://${host}:${check.port}${check.path}`;
}

/**
 * Sends one GET of a rollout check to an instance's internal address. Never throws: a refused connection, a
 * timeout or a wrong answer is a failed attempt. Redirects are not followed.
 */
export function attemptCheck(
  check: PlannedRolloutCheck,
  options: { address: string; signal: AbortSignal },
): Promise<CheckAttempt> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (attempt: CheckAttempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(attempt);
    };
    const req = request(checkUrl(check, options.address), {
      method: "GET",
      signal: options.signal,
      headers: { "user-agent": "bake-rollout-check" },
    });
    const timer = setTimeout(
      () => done({ ok: false, detail: `no answer within ${check.timeoutMs} ms` }),
      check.timeoutMs,
    );
    req.on("error", (error: NodeJS.ErrnoException) =>
      done({ ok: false, detail: error.code === "ECONNREFUSED" ? "connection refused" : error.message }),
    );
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      if (status !== check.status) {
        res.resume();
        done({ ok: false, detail: `answered ${status}, expected ${check.status}` });
        return;
      }
      if (check.bodyContains === undefined) {
        res.resume();
        done({ ok: true, detail: `answered ${status}` });
        return;
      }
      const needle = check.bodyContains;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
        if (body.includes(needle)) done({ ok: true, detail: `answered ${status}` });
        else if (body.length > BODY_LIMIT) done({ ok: false, detail: "the body does not contain the text" });
      });
      res.on("end", () =>
        done(
          body.includes(needle)
            ? { ok: true, detail: `answered ${status}` }
            : { ok: false, detail: `answered ${status} without ${JSON.stringify(needle)} in the body` },
        ),
      );
      res.on("error", (error) => done({ ok: false, detail: error.message }));
    });
    req.end();
  });
}

/** A failed attempt of a rollout check on one instance, for progress. */
export interface CheckFailure {
  check: string;
  server: string;
  url: string;
  detail: string;
  /** Consecutive failed attempts so far, and how many fail the rollout. */
  failures: number;
  limit: number;
}

/**
 * The rollout checks of a recipe, run against the instances of the new template: each instance passes once every
 * check has answered as it should (then it is not asked again). A check fails the rollout once it has failed
 * `retries + 1` attempts in a row on one instance, and never before {@link CHECK_FAILURES_AT_LEAST}; attempts on
 * an instance are at least the check's `interval` apart.
 */
export class InstanceChecks {
  readonly #checks: readonly PlannedRolloutCheck[];
  readonly #signal: AbortSignal;
  // Per instance, per check index: whether it passed, failed attempts in a row, when it was last tried.
  readonly #state = new Map<string, { passed: boolean; failures: number; triedAt: number }[]>();

  constructor(options: { checks: readonly PlannedRolloutCheck[]; signal: AbortSignal }) {
    this.#checks = options.checks;
    this.#signal = options.signal;
  }

  /** Whether the instance has passed every check. */
  passed(server: string): boolean {
    return this.#state.get(server)?.every((s) => s.passed) ?? this.#checks.length === 0;
  }

  /**
   * Runs the due attempts on these instances (those of the new template the platform calls healthy), all at once.
   * @returns why the rollout fails, naming the check, the instance and what it answered, or undefined
   */
  async run(
    members: readonly GroupMember[],
    options: { now: number; onFailure?: (failure: CheckFailure) => void },
  ): Promise<string | undefined> {
    const attempts: Promise<string | undefined>[] = [];
    for (const member of members) {
      let states = this.#state.get(member.server);
      if (!states) {
        states = this.#checks.map(() => ({ passed: false, failures: 0, triedAt: -Infinity }));
        this.#state.set(member.server, states);
      }
      for (const [index, check] of this.#checks.entries()) {
        const state = states[index];
        if (!state || state.passed || options.now - state.triedAt < check.intervalMs) continue;
        state.triedAt = options.now;
        attempts.push(this.#attempt(check, { member, state, onFailure: options.onFailure }));
      }
    }
    const reasons = await Promise.all(attempts);
    return reasons.find((reason) => reason !== undefined);
  }

  async #attempt(
    check: PlannedRolloutCheck,
    input: {
      member: GroupMember;
      state: { passed: boolean; failures: number };
      onFailure?: ((failure: CheckFailure) => void) | undefined;
    },
  ): Promise<string | undefined> {
    const { member, state } = input;
    const address = member.address;
    const url = address === undefined ? `:${check.port}${check.path}` : checkUrl(check, address);
    const attempt =
      address === undefined
        ? { ok: false, detail: "the instance has no internal address" }
        : await attemptCheck(check, { address, signal: this.#signal });
    if (attempt.ok) {
      state.passed = true;
      state.failures = 0;
      return undefined;
    }
    state.failures += 1;
    const limit = Math.max(CHECK_FAILURES_AT_LEAST, check.retries + 1);
    input.onFailure?.({
      check: check.name,
      server: member.server,
      url,
      detail: attempt.detail,
      failures: state.failures,
      limit,
    });
    if (state.failures < limit) return undefined;
    return `rollout check "${check.name}" failed on instance ${member.server} of ${member.template} (GET ${url}): ${attempt.detail}, ${state.failures} times in a row`;
  }
}
