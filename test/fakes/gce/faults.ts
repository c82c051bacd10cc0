/**
 * A fault the fake injects on the next matching calls:
 * - `quota`: 403 quotaExceeded, nothing happens;
 * - `server-error`: 503, nothing happens;
 * - `lost-response`: the call takes effect but the client gets a 502 (a retry must be idempotent);
 * - `operation-error`: the call is accepted, and its operation ends DONE with an `error`;
 * - `stale-fingerprint`: another writer changes the labels just before a setLabels call (412);
 * - `slow-response`: the call takes effect at once, its response arrives 500 ms later.
 */
export interface Fault {
  /** The call, as `resource.method`: `instances.insert`, `images.insert`, `images.setLabels`, ... */
  call: string;
  kind: FaultKind;
  /** How many matching calls fail. @default 1 */
  times?: number;
}

export type FaultKind =
  | "quota"
  | "server-error"
  | "lost-response"
  | "operation-error"
  | "stale-fingerprint"
  | "slow-response";

/** Pending faults, consumed in the order they were added. */
export class FaultBook {
  private readonly pending: { call: string; kind: FaultKind; left: number }[] = [];

  add(fault: Fault): void {
    this.pending.push({ call: fault.call, kind: fault.kind, left: fault.times ?? 1 });
  }

  clear(): void {
    this.pending.length = 0;
  }

  /** The fault for this call, if one is pending; uses it up. */
  take(call: string): FaultKind | undefined {
    const fault = this.pending.find((f) => f.call === call && f.left > 0);
    if (!fault) return undefined;
    fault.left -= 1;
    return fault.kind;
  }
}
