import { BakeError } from "../errors.js";
import { printable } from "../util/printable.js";
import { describeRecord, describeWithId } from "./describe.js";
import type { ManifestState } from "./state.js";
import type { ImageRecord, NewEvent, NewRecord } from "./types.js";

const NAME = /^[a-z0-9][a-z0-9._-]*$/;
const CHANNEL = /^[a-z][a-z0-9._-]*$/;

/** Checks what a caller asks to register before anything is written. */
export function checkNewRecord(input: NewRecord): void {
  const fail = (message: string) => {
    throw new BakeError({ code: "record-invalid", message: `cannot register: ${message}` });
  };
  if (input.kind !== "image" && input.kind !== "layer") fail(`kind must be "image" or "layer"`);
  if (!NAME.test(input.lineage) || input.lineage.length > 63)
    fail(`"${input.lineage}" is not a lineage name`);
  if (input.kind === "layer" && !input.layer)
    fail("a layer record needs its layer (name, inputsDigest, cacheKey)");
  if (input.kind === "image" && input.layer)
    fail("an image record lists its layers in `layers`, not `layer`");
  if (input.kind === "layer" && input.layers) fail("a layer record has no `layers`");
}

/**
 * Checks an event against the manifest as it is: the target exists, promotions are of usable images, and
 * revocations happen where they mean something. Returns the target record.
 */
export function checkEvent(state: ManifestState, input: NewEvent): ImageRecord {
  const target = state.byId.get(input.target);
  if (!target) {
    throw new BakeError({ code: "event-invalid", message: `no record has the id ${input.target}` });
  }
  switch (input.event) {
    case "promote":
      checkPromote(state, target, input.channel);
      break;
    case "revoke":
      checkRevoke(state, target, input.cascade);
      break;
    case "deprecate":
      if (target.kind !== "image")
        throw refused(`${describeRecord(target)} is a layer record; deprecate an image`);
      if (state.statusName(target.id) !== "active") {
        throw refused(`${describeWithId(target)} is already ${state.statusName(target.id)}`);
      }
      break;
    case "observe":
      break;
    case "publish":
      checkPublish(state, target, input);
      break;
    case "rollout":
      if (target.kind !== "image")
        throw refused(`${describeRecord(target)} is a layer record; roll out an image`);
      break;
  }
  if (input.event === "revoke" || input.event === "deprecate") {
    if (input.reason.trim() === "") throw refused(`a ${input.event} needs a reason`);
    // A reason is printed to everyone who reads the shared manifest; it must not be able to drive their terminal.
    if (printable(input.reason) !== input.reason) {
      throw new BakeError({
        code: "event-invalid",
        message: `the ${input.event} reason holds control characters or bidirectional overrides: "${printable(input.reason)}"`,
        hint: "write the reason as plain text on one line",
      });
    }
  }
  return target;
}

function checkPromote(state: ManifestState, target: ImageRecord, channel: string): void {
  if (!CHANNEL.test(channel) || channel.length > 63) {
    throw new BakeError({
      code: "event-invalid",
      message: `"${channel}" is not a channel name`,
      hint: "a channel name starts with a lowercase letter, then letters, digits, '.', '_' or '-' (stable, canary, prod-eu)",
    });
  }
  if (target.kind !== "image") throw refused(`${describeRecord(target)} is a layer record; promote an image`);
  const status = state.status(target.id);
  if (status.status === "revoked") {
    throw refused(
      `${describeWithId(target)} is revoked (${printable(status.reason ?? "")}); a revoked image cannot be promoted`,
    );
  }
}

function checkRevoke(state: ManifestState, target: ImageRecord, cascade: boolean): void {
  const own = state.revocations.get(target.id) ?? [];
  if (own.length > 0 && (!cascade || own.some((event) => event.cascade))) {
    throw refused(
      `${describeWithId(target)} is already revoked (${printable(own[0]?.reason ?? "")})`,
      cascade ? undefined : "add --cascade to revoke everything built on it too",
    );
  }
  const revokedAncestor = state
    .chain(target.id)
    .slice(1)
    .find((ancestor) => (state.revocations.get(ancestor.id)?.length ?? 0) > 0);
  if (revokedAncestor) {
    const event = state.revocations.get(revokedAncestor.id)?.[0];
    const covered = state.revocations.get(revokedAncestor.id)?.some((e) => e.cascade);
    throw refused(
      `${describeWithId(target)} is built on ${describeWithId(revokedAncestor)}, which is already revoked (${printable(event?.reason ?? "")}); ` +
        (covered
          ? "that revocation cascades, so this image is revoked already"
          : "revoke the ancestor with --cascade so everything built on it is revoked for the same reason"),
      covered
        ? `see \`bake show ${describeRecord(target)}\``
        : `bake revoke ${describeRecord(revokedAncestor)} --cascade --reason "..."`,
    );
  }
}

// A destination is printed to everyone who reads the shared manifest, and must never carry credentials.
function checkPublish(
  state: ManifestState,
  target: ImageRecord,
  input: Extract<NewEvent, { event: "publish" }>,
): void {
  if (target.kind !== "image") throw refused(`${describeRecord(target)} is a layer record; publish an image`);
  if (state.statusName(target.id) === "revoked") {
    throw refused(`${describeWithId(target)} is revoked; a revoked image is not published`);
  }
  if (!/^docker:\/\/[^\s@]+$/.test(input.destination) || printable(input.destination) !== input.destination) {
    throw new BakeError({
      code: "event-invalid",
      message: `"${printable(input.destination)}" is not a destination a publish can record`,
      hint: "a destination is docker://REGISTRY/REPO:TAG, without credentials or a digest",
    });
  }
  if (!/^sha256:[0-9a-f]{64}$/.test(input.digest)) {
    throw new BakeError({
      code: "event-invalid",
      message: `"${printable(input.digest)}" is not a sha256 manifest digest`,
    });
  }
}

function refused(message: string, hint?: string): BakeError {
  return new BakeError({ code: "event-refused", message, ...(hint ? { hint } : {}) });
}
