import { writeFileSync } from "node:fs";
import { headerLine } from "../../src/manifest/format.js";
import { serializeEntry } from "../../src/manifest/hash.js";
import { digest } from "../../src/util/digest.js";

/**
 * Writes a valid, chained manifest of `count` records (images with a layer record each, in 10 lineages), as bake
 * would, without going through the writer (which would take minutes for tens of thousands of records).
 */
export function writeLargeManifest(path: string, count: number): void {
  const lines = [headerLine({ createdAt: "2026-01-01T00:00:00.000Z", bakeVersion: "0.1.0" })];
  const append = (body: Record<string, unknown>) => {
    const { id, text } = serializeEntry({ ...body, prev: digest(lines[lines.length - 1] as string) });
    lines.push(text);
    return id;
  };
  const builds = new Map<string, number>();
  const base = { external: { ref: "docker-archive:./debian.tar", id: digest("debian") } };
  for (let n = 0; n < count; n += 2) {
    const lineage = `app-${(n / 2) % 10}`;
    const common = {
      type: "record",
      lineage,
      version: `1.${n}.0`,
      driver: "local",
      recipeDigest: digest(`recipe ${lineage}`),
      createdAt: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
      bakeVersion: "0.1.0",
    };
    const layer = { name: "app", inputsDigest: digest(`in ${n}`), cacheKey: digest(`key ${n}`) };
    const artifact = digest(`layer ${n}`);
    const layerId = append({ ...common, kind: "layer", parent: base, artifact, layer });
    const build = (builds.get(lineage) ?? 0) + 1;
    builds.set(lineage, build);
    append({
      ...common,
      kind: "image",
      build,
      parent: base,
      artifact: digest(`image ${n}`),
      layers: [{ ...layer, record: layerId, artifact }],
      labels: { team: "heroes" },
    });
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
}
