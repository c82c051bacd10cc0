import { isAbsolute, resolve } from "node:path";
import { type ArchiveFormat, exportImage } from "../../drivers/local/export-archive.js";
import { isDigest } from "../../drivers/local/oci.js";
import { storePath } from "../../drivers/local/options.js";
import { Store } from "../../drivers/local/store.js";
import { BakeError, ExitCode } from "../../errors.js";
import { manifestPath } from "../../manifest/location.js";
import { openManifest } from "../../manifest/manifest.js";
import type { CommandRun } from "../io.js";

const FORMATS: ArchiveFormat[] = ["oci-archive", "docker-archive"];

/**
 * `bake export REF -o FILE [--format oci-archive|docker-archive]`: writes a local-driver image (a manifest
 * reference or a raw `sha256:` artifact id) as an archive `docker load` and `podman load` accept.
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
  const artifact = await artifactOf(ref, values.manifest, io);
  const store = await Store.open(storePath({ env: io.env, cwd: io.cwd }));
  const image = await store.image(artifact);
  if (!image) {
    throw new BakeError({
      code: "image-missing",
      message: `image ${artifact} is not in the local store ${store.root}`,
      hint: "export on the machine that built it, set BAKE_STORE to its store, or rebuild with bake build --no-cache",
    });
  }
  const file = isAbsolute(output) ? output : resolve(io.cwd, output);
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

async function artifactOf(
  ref: string,
  flag: unknown,
  io: { env: Readonly<Record<string, string | undefined>>; cwd: string },
): Promise<string> {
  if (isDigest(ref)) return ref;
  const path = manifestPath({ flag: typeof flag === "string" ? flag : undefined, env: io.env, cwd: io.cwd });
  const manifest = await openManifest(path);
  const record = manifest.resolve(ref);
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
  return record.artifact;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
