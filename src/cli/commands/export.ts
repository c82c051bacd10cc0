import { isAbsolute, resolve } from "node:path";
import { type ArchiveFormat, exportImage } from "../../drivers/local/export-archive.js";
import { storePath } from "../../drivers/local/options.js";
import { Store } from "../../drivers/local/store.js";
import { BakeError, ExitCode } from "../../errors.js";
import { describeWithId } from "../../manifest/describe.js";
import type { Manifest } from "../../manifest/manifest.js";
import { checkOutputFile } from "../../manifest/output-guard.js";
import type { CommandRun } from "../io.js";
import { openForCommand } from "../manifest-support.js";
import { lookUpRef, refNotFound } from "../resolve-ref.js";

const FORMATS: ArchiveFormat[] = ["oci-archive", "docker-archive"];

/**
 * `bake export REF -o FILE [--format oci-archive|docker-archive]`: writes a local-driver image as an archive
 * `docker load` and `podman load` accept. REF is looked up in the manifest first (any form `resolve` takes), then
 * as a raw `sha256:` artifact id in the local store.
 */
export const run: CommandRun = async ({ positionals, values }, io) => {
  const ref = positionals[0] as string;
  const format = (values.format ?? "oci-archive") as string;
  if (!FORMATS.includes(format as ArchiveFormat)) {
    throw new BakeError({
      code: "usage",
      message: `export: unknown format "${format}"`,
      hint: `use --format ${FORMATS.join(" or --format ")}`,
    });
  }
  const output = values.output;
  if (typeof output !== "string" || output === "") {
    throw new BakeError({
      code: "usage",
      message: "export: say where to write the archive with -o FILE",
      hint: "usage: bake export REF [--format oci-archive|docker-archive] -o FILE",
    });
  }
  const file = isAbsolute(output) ? output : resolve(io.cwd, output);
  checkOutputFile(file, output, "-o");
  const store = await Store.open(storePath({ env: io.env, cwd: io.cwd }));
  const image = await imageOf(ref, { store, manifest: await openForCommand(values, io) });
  const result = await exportImage({ store, image, format: format as ArchiveFormat, file });
  if (!result.portable) {
    io.stderr.write(
      "warning: this image's base is the build machine's own OS (from: host); the archive holds only bake's layers, " +
        "so it is not portable and will not run elsewhere\n",
    );
  }
  io.stdout.write(
    `wrote ${result.file} (${result.format}, ${formatBytes(result.bytes)})${result.tag ? ` as ${result.tag}` : ""}\n`,
  );
  return ExitCode.Ok;
};

// The manifest first (every REF form), then a raw artifact id in the store: see lookUpRef.
async function imageOf(ref: string, options: { store: Store; manifest: Manifest }) {
  const { store } = options;
  const lookup = lookUpRef(options.manifest, ref);
  const { record } = lookup;
  if (record) {
    if (record.driver !== "local") {
      throw new BakeError({
        code: "export-driver",
        message: `${ref} is a ${record.driver} image; bake export writes images of the local driver`,
        hint:
          record.driver === "packer"
            ? "use the image where Packer put it"
            : "export it with your cloud's tools",
      });
    }
    const image = await store.image(record.artifact);
    if (image) return image;
    throw new BakeError({
      code: "image-missing",
      message: `${describeWithId(record)} (artifact ${record.artifact}) is not in the local store ${store.root}`,
      hint: "export on the machine that built it, set BAKE_STORE to its store, or rebuild with bake build --no-cache",
    });
  }
  if (lookup.artifactId) {
    const image = await store.image(lookup.artifactId);
    if (image) return image;
    lookup.tried.push(`the local store ${store.root}: no image ${lookup.artifactId}`);
  }
  throw refNotFound(lookup);
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
