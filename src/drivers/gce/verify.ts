import { randomBytes } from "node:crypto";
import { BakeError } from "../../errors.js";
import type { CheckResult } from "../../plan/types.js";
import type { VerifyInput, VerifyResult } from "../driver.js";
import { createRedactor } from "../redact.js";
import { familyOf } from "./bake.js";
import { Cleanup } from "./cleanup.js";
import { cleanupReport } from "./cleanup-report.js";
import { guestChecks } from "./guest-steps.js";
import { parseImageId } from "./image-ref.js";
import { assertScriptFits, temporaryInstance } from "./instance.js";
import { LABEL, labelValue, resourceName } from "./labels.js";
import { retainAfterBuild } from "./retain.js";
import { checksUseSecrets, SecretChannel } from "./secret-channel.js";
import { followSerial } from "./serial.js";
import type { GceSession } from "./session.js";
import { verifyStartupScript } from "./startup-script.js";

/**
 * Verifies a new image on a fresh instance booted from it alone: the startup script runs every check and
 * reports each attempt on the serial port. The instance and its disk are deleted afterwards in every case.
 * A failed image is marked DEPRECATED, so its family keeps serving the last good image.
 */
export async function verifyImage(input: VerifyInput, session: GceSession): Promise<VerifyResult> {
  const image = parseImageId(input.image.id);
  if (!image) {
    throw new BakeError({ code: "gce-image", message: `the gce driver cannot verify ${input.image.id}` });
  }
  if (input.checks.length === 0) return { ok: true, checks: [] };
  const { reporter, checks } = input;
  const nonce = randomBytes(8).toString("hex");
  const script = verifyStartupScript({
    title: `verify ${input.plan.lineage} ${input.plan.version} on ${image.name}`,
    nonce,
    checks: guestChecks(checks, input.secrets),
  });
  assertScriptFits(script, "verify");
  const name = resourceName([
    "bake",
    input.plan.lineage.slice(0, 24),
    "verify",
    input.runId.replace(/^bake-/, ""),
  ]);
  reporter.emit({ type: "verify-started", image: input.image.id, checks: checks.map((check) => check.name) });

  const results = new Map<number, CheckResult>();
  const startedAt = new Map<number, number>();
  const cleanup = new Cleanup();
  const undo = session.withSignal(new AbortController().signal);
  try {
    cleanup.push(`disk ${name}`, () => undo.deleteDisk(name));
    cleanup.push(`instance ${name}`, () => undo.deleteInstance(name));
    await session.insertInstance(
      temporaryInstance({
        options: session.options,
        name,
        sourceImage: `projects/${image.project}/global/images/${image.name}`,
        startupScript: script,
        labels: {
          [LABEL.run]: labelValue(input.runId),
          [LABEL.lineage]: labelValue(input.plan.lineage),
          [LABEL.role]: "verify",
        },
      }),
    );
    const channel = new SecretChannel({
      session,
      instance: name,
      reporter,
      carriesSecrets: checksUseSecrets(checks),
    });
    const redact = createRedactor(input.secrets);
    const outcome = await followSerial({
      session,
      instance: name,
      nonce,
      timeoutMs: session.options.verifyTimeoutMs,
      onMarker: (marker) => {
        channel.markerSeen();
        const index = "check" in marker ? marker.check - 1 : -1;
        const check = checks[index];
        if (!check) return;
        if (marker.kind === "check-start") {
          startedAt.set(index, Date.now());
          reporter.emit({ type: "check-started", check: index, name: check.name });
        } else if (marker.kind === "check-attempt") {
          const message = marker.ok ? undefined : `exit code ${marker.exitCode}`;
          reporter.emit({
            type: "check-attempt",
            check: index,
            attempt: marker.attempt,
            ok: marker.ok,
            ...(message ? { message } : {}),
          });
        } else if (marker.kind === "check-end") {
          const result: CheckResult = {
            name: check.name,
            ok: marker.ok,
            attempts: marker.attempts,
            durationMs: Date.now() - (startedAt.get(index) ?? Date.now()),
            ...(marker.ok
              ? {}
              : { message: `failed after ${marker.attempts} attempt(s) on instance ${name}` }),
          };
          results.set(index, result);
          reporter.emit({ type: "check-finished", check: index, ...result });
        }
      },
      onLine: (line) => reporter.emit({ type: "output", stream: "stdout", line: redact(line) }),
    });
    await channel.settle();
    const all = checks.map(
      (check, index): CheckResult =>
        results.get(index) ?? {
          name: check.name,
          ok: false,
          attempts: 0,
          durationMs: 0,
          message:
            outcome.kind === "failure"
              ? `the verify script stopped (exit code ${outcome.exitCode})`
              : "not run",
        },
    );
    const ok = outcome.kind === "success" && all.every((check) => check.ok);
    if (ok) {
      await retainAfterBuild({
        session,
        plan: input.plan,
        imageName: image.name,
        family: familyOf(input.plan.lineage, session.options),
        report: (message) => reporter.emit({ type: "note", message }),
      });
    } else {
      await session
        .deprecateImage({ project: image.project, name: image.name, state: "DEPRECATED" })
        .catch((error: unknown) =>
          reporter.emit({ type: "note", message: `could not deprecate ${image.name}: ${String(error)}` }),
        );
    }
    return { ok, checks: all };
  } finally {
    const failed = await cleanup.run();
    if (failed.length > 0) reporter.emit({ type: "note", message: cleanupReport(failed) });
  }
}
