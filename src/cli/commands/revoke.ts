import { BakeError } from "../../errors.js";
import { describeRecord, describeWithId } from "../../manifest/describe.js";
import type { Manifest } from "../../manifest/manifest.js";
import type { ImageRecord, ManifestEvent } from "../../manifest/types.js";
import { printable } from "../../util/printable.js";
import type { CommandRun } from "../io.js";
import { openForCommand, writeJson } from "../manifest-support.js";
import { resolveRef } from "../resolve-ref.js";

/** What a revoke did: the event, and every record whose status it turned to revoked. */
export interface RevokeOutcome {
  event: ManifestEvent;
  revoked: ImageRecord[];
}

/** `bake revoke REF --reason TEXT [--cascade]`: marks an image (and with --cascade, everything built on it) revoked. */
export const run: CommandRun = async ({ positionals, values }, io) => {
  const reason = typeof values.reason === "string" ? values.reason.trim() : "";
  if (reason === "") {
    throw new BakeError({
      code: "usage",
      message: "revoke: --reason is required",
      hint: 'say why, for the record: bake revoke REF --reason "CVE-2026-1234 in openssl"',
    });
  }
  const manifest = await openForCommand(values, io, { mustExist: true });
  const record = resolveRef(manifest, positionals[0] as string);
  const outcome = await revoke(manifest, record, { reason, cascade: values.cascade === true });
  // Images built on Compute Engine are also marked DEPRECATED there, so their family stops serving them.
  const gceRecords = outcome.revoked.filter((r) => r.driver === "gce");
  const gceImages =
    gceRecords.length > 0 ? await (await import("../gce-commands.js")).deprecateRevoked(io, gceRecords) : [];
  const gceFailed = gceImages.filter((image) => !image.ok);
  // A layer record's revocation stops its reuse from the cache; the images made with it are records of their own.
  const madeWith =
    record.kind === "layer"
      ? manifest
          .records()
          .filter((r) => r.kind === "image" && r.layers?.some((layer) => layer.record === record.id))
          .filter((image) => manifest.status(image.id).status !== "revoked")
      : [];
  if (values.json === true) {
    writeJson(io, {
      manifest: manifest.path,
      event: outcome.event,
      revoked: outcome.revoked.map((r) => r.id),
      ...(record.kind === "layer" ? { imagesWithLayer: madeWith.map((image) => image.id) } : {}),
      ...(gceImages.length > 0 ? { gce: gceImages } : {}),
    });
    return gceFailed.length > 0 ? 1 : 0;
  }
  io.stdout.write(`revoked ${describeWithId(record)}: ${printable(reason)}\n`);
  if (record.kind === "layer") {
    io.stdout.write("  a layer record: builds no longer reuse it from the cache\n");
    if (madeWith.length > 0)
      io.stderr.write(
        `warning: the image${madeWith.length === 1 ? "" : "s"} made with this layer ${madeWith.length === 1 ? "is" : "are"} not revoked: ${madeWith.map(describeRecord).join(", ")}; revoke ${madeWith.length === 1 ? "it" : "them"} with \`bake revoke REF --reason ...\`\n`,
      );
  }
  const others = outcome.revoked.filter((r) => r.id !== record.id && r.kind === "image");
  if (others.length > 0) {
    io.stdout.write(
      `  and, with --cascade, ${others.length} image${others.length === 1 ? "" : "s"} built on it: ${others.map(describeRecord).join(", ")}\n`,
    );
  }
  for (const image of gceImages) {
    if (image.ok) io.stdout.write(`deprecated Compute Engine image ${printable(image.image)}\n`);
    else
      io.stderr.write(
        `warning: could not deprecate Compute Engine image ${printable(image.image)}: ${printable(image.error ?? "")}\n`,
      );
  }
  return gceFailed.length > 0 ? 1 : 0;
};

/** Appends the revoke event and reports which records it turned revoked. */
export async function revoke(
  manifest: Manifest,
  record: ImageRecord,
  options: { reason: string; cascade: boolean },
): Promise<RevokeOutcome> {
  const candidates = [record, ...(options.cascade ? manifest.descendants(record.id) : [])];
  const before = new Map(candidates.map((r) => [r.id, manifest.status(r.id).status]));
  const event = await manifest.appendEvent({
    event: "revoke",
    target: record.id,
    reason: options.reason,
    cascade: options.cascade,
  });
  const revoked = candidates.filter(
    (r) => before.get(r.id) !== "revoked" && manifest.status(r.id).status === "revoked",
  );
  return { event, revoked };
}
