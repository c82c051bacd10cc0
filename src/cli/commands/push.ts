import { isAbsolute, resolve } from "node:path";
import type { Reporter } from "../../drivers/events.js";
import { loadDriver } from "../../drivers/index.js";
import { BakeError, ExitCode } from "../../errors.js";
import { chainBrokenError } from "../../manifest/append.js";
import { describeWithId } from "../../manifest/describe.js";
import { publish } from "../../run/publish.js";
import { access } from "../../util/fs-async.js";
import { printable } from "../../util/printable.js";
import type { CommandRun } from "../io.js";
import { openForCommand, stdoutStyle, writeJson } from "../manifest-support.js";
import { resolveRef } from "../resolve-ref.js";

const quiet: Reporter = { emit: () => {}, close: async () => {} };

/**
 * `bake push REF docker://REGISTRY/REPO:TAG [--authfile FILE]`: pushes an image of the manifest to a registry with
 * its driver (skopeo for the local driver, keeping the manifest's digest) and records a `publish` event with the
 * digest the registry holds. Credentials come from the usual auth files, or the one `--authfile` names.
 */
export const run: CommandRun = async ({ positionals, values }, io) => {
  const [ref, destination] = positionals as [string, string];
  const manifest = await openForCommand(values, io, { mustExist: true });
  // The push is recorded afterwards: refuse a manifest that cannot take the record before pushing anything.
  const { problem } = manifest.integrity();
  if (problem) throw chainBrokenError(manifest.path, problem);
  const record = resolveRef(manifest, ref);
  if (record.kind !== "image") {
    throw new BakeError({
      code: "push-layer",
      message: `${describeWithId(record)} is a layer record; push an image`,
      hint: `bake push ${record.lineage} ${printable(destination)} pushes the newest active image of the lineage`,
    });
  }
  const status = manifest.status(record.id);
  if (status.status === "revoked") {
    throw new BakeError({
      code: "push-revoked",
      message: `${describeWithId(record)} is revoked (${printable(status.reason ?? "")}); a revoked image is not pushed`,
    });
  }
  const authFile = await authFileOption(values.authfile, io.cwd);
  const event = await publish({
    driver: await loadDriver(record.driver),
    manifest,
    record,
    destination,
    ctx: { cwd: io.cwd, env: io.env, signal: io.signal, reporter: quiet },
    ...(authFile ? { authFile } : {}),
  });
  if (values.json === true) {
    writeJson(io, { manifest: manifest.path, record: record.id, event });
    return ExitCode.Ok;
  }
  const style = stdoutStyle(io, values);
  const same = event.digest === record.artifact ? " (the image's own digest)" : "";
  io.stdout.write(
    `${style.green("pushed")} ${describeWithId(record)} to ${printable(event.destination)}\n` +
      `  digest  ${event.digest}${same}\n` +
      `  trace   bake trace ${printable(event.destination.replace(/:[^:/]+$/, ""))}@${event.digest}\n`,
  );
  return ExitCode.Ok;
};

async function authFileOption(value: unknown, cwd: string): Promise<string | undefined> {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") {
    throw new BakeError({ code: "usage", message: "push: --authfile needs a FILE" });
  }
  const file = isAbsolute(value) ? value : resolve(cwd, value);
  try {
    await access(file);
  } catch {
    throw new BakeError({
      code: "usage",
      message: `push: the auth file ${printable(file)} does not exist`,
      hint: "write it with skopeo login --authfile FILE REGISTRY, or leave --authfile out to use the usual auth files",
    });
  }
  return file;
}
