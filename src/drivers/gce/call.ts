import { setTimeout as sleep } from "node:timers/promises";
import { BuildFailedError, InterruptedError } from "../../errors.js";

/** A Compute Engine API failure, reduced to what bake reports and decides on. */
export interface ApiFailure {
  /** HTTP status, when the server answered. */
  status?: number;
  message: string;
  /** Compute Engine's reason, such as `quotaExceeded` or `notFound`. */
  reason?: string;
}

/** Reads status, message and reason from whatever the client threw (GaxiosError, GoogleError, Error). */
export function apiFailure(error: unknown): ApiFailure {
  const e = (error ?? {}) as {
    status?: unknown;
    code?: unknown;
    message?: unknown;
    response?: { status?: unknown; data?: unknown };
    reason?: unknown;
  };
  let status =
    typeof e.status === "number"
      ? e.status
      : typeof e.response?.status === "number"
        ? e.response.status
        : undefined;
  let message = typeof e.message === "string" ? e.message : String(error);
  let reason = typeof e.reason === "string" ? e.reason : undefined;
  // REST errors arrive with the JSON error body as the message.
  const body = parseJson(message);
  const inner = (body as { error?: { code?: unknown; message?: unknown; errors?: { reason?: unknown }[] } })
    ?.error;
  if (inner) {
    if (typeof inner.code === "number") status ??= inner.code;
    if (typeof inner.message === "string") message = inner.message;
    const first = inner.errors?.[0]?.reason;
    if (typeof first === "string") reason ??= first;
  }
  if (status === undefined && typeof e.code === "number" && e.code >= 100) status = e.code;
  return {
    ...(status === undefined ? {} : { status }),
    message,
    ...(reason === undefined ? {} : { reason }),
  };
}

function parseJson(text: string): unknown {
  if (!text.startsWith("{")) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Whether a failure is worth retrying: throttling, server errors, and connections that broke. */
export function isTransient(failure: ApiFailure): boolean {
  if (failure.status === undefined) return !/not found|invalid/i.test(failure.message);
  return failure.status === 429 || failure.status >= 500;
}

/** Whether the resource named by a call does not exist. */
export function isNotFound(error: unknown): boolean {
  return apiFailure(error).status === 404;
}

/** A hint for the failures users can fix. */
function hintFor(failure: ApiFailure): string | undefined {
  if (failure.reason === "quotaExceeded" || /quota/i.test(failure.message)) {
    return "request more quota in the Cloud console, or use a smaller machineType or another zone";
  }
  if (failure.status === 401 || failure.status === 403) {
    return "check Application Default Credentials (gcloud auth application-default login) and the account's roles";
  }
  if (failure.status === 412) return "the resource changed while bake updated it; run the command again";
  if (failure.status !== undefined && failure.status >= 500)
    return "Compute Engine is failing; try again later";
  return undefined;
}

/** The error bake reports for a failed call: it names the call (`instances.insert`) and what the API said. */
export function callError(call: string, error: unknown): BuildFailedError {
  const failure = apiFailure(error);
  const status =
    failure.status === undefined
      ? ""
      : ` (HTTP ${failure.status}${failure.reason ? ` ${failure.reason}` : ""})`;
  const hint = hintFor(failure);
  return new BuildFailedError({
    code: "gce-api",
    message: `Compute Engine call ${call} failed${status}: ${failure.message}`,
    ...(hint === undefined ? {} : { hint }),
    cause: error,
  });
}

/** Options shared by every call. */
export interface CallOptions {
  signal: AbortSignal;
  /** Attempts in total for transient failures. */
  retries: number;
  retryDelayMs: number;
  /**
   * On abort, how long to let a request in flight finish before giving up on it: a create whose request was
   * already sent then exists before cleanup looks for it. @default 0
   */
  settleOnAbortMs?: number;
}

/**
 * Runs one API call, retrying transient failures with doubling pauses. Mutations pass the same `requestId` on
 * every attempt, so a retry after a lost response never creates a second resource.
 * An aborted signal stops waiting at once (the request in flight may still finish on the server).
 */
export async function gceCall<T>(call: string, send: () => Promise<T>, options: CallOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(options.signal);
    try {
      return await raceAbort(send(), options.signal, options.settleOnAbortMs ?? 0);
    } catch (error) {
      if (error instanceof InterruptedError) throw error;
      if (attempt >= options.retries || !isTransient(apiFailure(error))) throw callError(call, error);
      await sleep(options.retryDelayMs * 2 ** (attempt - 1), undefined, { signal: options.signal }).catch(
        () => {
          throwIfAborted(options.signal);
        },
      );
    }
  }
}

/** Throws `InterruptedError` when the signal is aborted. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new InterruptedError();
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, settleMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      if (settleMs <= 0) return reject(new InterruptedError());
      const settled = promise.then(
        () => undefined,
        () => undefined,
      );
      void Promise.race([settled, sleep(settleMs)]).then(() => reject(new InterruptedError()));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
