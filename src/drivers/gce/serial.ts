import { setTimeout as sleep } from "node:timers/promises";
import { BuildFailedError } from "../../errors.js";
import { throwIfAborted } from "./call.js";
import { type Marker, parseMarker } from "./markers.js";
import type { GceSession } from "./session.js";

/** How a startup script ended, as its markers said. */
export type ScriptOutcome =
  | { kind: "success" }
  | { kind: "failure"; step: number; exitCode: number; reason: string; lastLines: string[] };

const KEEP_LINES = 20;
const STATUS_EVERY = 5;

/**
 * Follows an instance's serial port by `start` offset until its startup script reports `success` or `failure`.
 * In each chunk a failure wins over a success. Other markers and the script's own output lines go to the
 * callbacks in order. Fails when the instance stops on its own or nothing decisive arrives in `timeoutMs`.
 */
export async function followSerial(options: {
  session: GceSession;
  instance: string;
  nonce: string;
  timeoutMs: number;
  onMarker: (marker: Marker) => void;
  onLine: (line: string) => void;
  /** Sees every line first; a line it takes (an inventory report's) goes nowhere else, not even a failure's detail. */
  take?: (line: string) => boolean;
}): Promise<ScriptOutcome> {
  const { session, instance } = options;
  const deadline = Date.now() + options.timeoutMs;
  const lastLines: string[] = [];
  let start = 0;
  let partial = "";
  for (let poll = 1; ; poll++) {
    throwIfAborted(session.signal);
    const [output] = await session.call("instances.getSerialPortOutput", () =>
      session.compute.instances.getSerialPortOutput({ ...session.zoneScope, instance, port: 1, start }),
    );
    const next = Number(output.next ?? start);
    const text = partial + (output.contents ?? "");
    start = Number.isFinite(next) ? next : start;
    const lines = text.split(/\r?\n/);
    partial = lines.pop() ?? "";
    const markers: Marker[] = [];
    for (const line of lines) {
      if (options.take?.(line)) continue;
      const marker = parseMarker(line, options.nonce);
      if (marker) markers.push(marker);
      else if (line.trim() !== "") {
        const shown = scriptOutput(line);
        lastLines.push(shown ?? line);
        if (lastLines.length > KEEP_LINES) lastLines.shift();
        // Boot messages stay out of the step output; they still show in a timeout's detail.
        if (shown !== undefined) options.onLine(shown);
      }
    }
    const failure = markers.find((m) => m.kind === "failure");
    for (const marker of markers)
      if (marker.kind !== "failure" && marker.kind !== "success") options.onMarker(marker);
    if (failure?.kind === "failure") return { ...failure, lastLines };
    if (markers.some((m) => m.kind === "success")) return { kind: "success" };
    if (poll % STATUS_EVERY === 0) await assertStillRunning(session, instance);
    if (Date.now() >= deadline) {
      throw new BuildFailedError({
        code: "gce-startup-timeout",
        message: `the startup script on instance ${instance} reported no result within ${Math.round(options.timeoutMs / 1000)}s (instances.getSerialPortOutput read ${start} bytes of serial output)`,
        hint: "raise buildTimeout/verifyTimeout, or look at the serial output: the image may not run startup scripts",
        ...(lastLines.length > 0 ? { detail: lastLines.map((line) => `  | ${line}`).join("\n") } : {}),
      });
    }
    await sleep(session.options.pollIntervalMs, undefined, { signal: session.signal }).catch(() => {
      throwIfAborted(session.signal);
    });
  }
}

// An instance that stopped or vanished (maxRunDuration, someone else) will never report.
async function assertStillRunning(session: GceSession, instance: string): Promise<void> {
  const found = await session.getInstance(instance);
  if (found?.status === "RUNNING" || found?.status === "PROVISIONING" || found?.status === "STAGING") return;
  throw new BuildFailedError({
    code: "gce-instance-gone",
    message: `instance ${instance} is ${found ? found.status : "gone"} before its startup script reported (instances.get)`,
    hint: "it may have hit maxRunDuration, or been stopped or deleted by someone else",
  });
}

// The guest agent prefixes script output with a timestamp and `startup-script: `; anything else is boot noise.
function scriptOutput(line: string): string | undefined {
  const at = line.indexOf("startup-script: ");
  return at >= 0 ? line.slice(at + "startup-script: ".length) : undefined;
}
