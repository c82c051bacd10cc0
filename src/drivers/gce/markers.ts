/**
 * Serial-port markers: the startup script prints `BAKE:<nonce>:<event> <fields>` lines, and the driver parses
 * them out of the serial console. The per-run nonce keeps a step's own output from forging a result.
 */
export type Marker =
  | { kind: "step-start"; step: number }
  | { kind: "step-end"; step: number; exitCode: number }
  | { kind: "failure"; step: number; exitCode: number; reason: string }
  | { kind: "success" }
  | { kind: "check-start"; check: number }
  | { kind: "check-attempt"; check: number; attempt: number; ok: boolean; exitCode: number }
  | { kind: "check-end"; check: number; ok: boolean; attempts: number };

/** The prefix every marker line of a run carries. */
export function markerPrefix(nonce: string): string {
  return `BAKE:${nonce}:`;
}

/** Finds a marker anywhere in a serial line (the guest agent prefixes script output with a timestamp). */
export function parseMarker(line: string, nonce: string): Marker | undefined {
  const prefix = markerPrefix(nonce);
  const at = line.indexOf(prefix);
  if (at < 0) return undefined;
  const [event, ...fields] = line
    .slice(at + prefix.length)
    .trim()
    .split(/\s+/);
  const field = (name: string): string | undefined =>
    fields.find((f) => f.startsWith(`${name}=`))?.slice(name.length + 1);
  const num = (name: string): number => Number(field(name) ?? Number.NaN);
  switch (event) {
    case "step-start":
      return { kind: "step-start", step: num("step") };
    case "step-end":
      return { kind: "step-end", step: num("step"), exitCode: num("exit") };
    case "failure":
      return { kind: "failure", step: num("step"), exitCode: num("exit"), reason: field("reason") ?? "step" };
    case "success":
      return { kind: "success" };
    case "check-start":
      return { kind: "check-start", check: num("check") };
    case "check-attempt":
      return {
        kind: "check-attempt",
        check: num("check"),
        attempt: num("attempt"),
        ok: field("ok") === "1",
        exitCode: num("exit"),
      };
    case "check-end":
      return { kind: "check-end", check: num("check"), ok: field("ok") === "1", attempts: num("attempts") };
    default:
      return undefined;
  }
}
