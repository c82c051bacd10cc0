// A synthetic lineage manifest for benches (bench/manifest, bench/startup): written with bake's own hashing from
// dist/, so it is a valid, hash-chained manifest. Run `npm run build` first.
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const dist = join(resolve(dirname(fileURLToPath(import.meta.url)), "../.."), "dist");
const { serializeEntry } = await import(pathToFileURL(join(dist, "manifest/hash.js")).href);
const { digest } = await import(pathToFileURL(join(dist, "util/digest.js")).href);
const { headerLine } = await import(pathToFileURL(join(dist, "manifest/format.js")).href);

/** Writes a manifest of `count` records (images with two layer records each, in 10 base and 10 app lineages). */
export function buildManifest(path, count) {
  const lines = [headerLine({ createdAt: "2026-01-01T00:00:00.000Z", bakeVersion: "0.1.0" })];
  const latest = new Map();
  const builds = new Map();
  const append = (body) => {
    const { id, text } = serializeEntry({ ...body, prev: digest(lines[lines.length - 1]) });
    lines.push(text);
    return id;
  };
  let n = 0;
  while (n < count) {
    const k = n % 20;
    const lineage = k < 10 ? `base-${k}` : `app-${k - 10}`;
    const parent =
      k < 10 || !latest.has(`base-${k - 10}`)
        ? {
            external: {
              ref: "gce:projects/debian-cloud/global/images/family/debian-12",
              id: `projects/debian-cloud/global/images/debian-12-v${n}`,
            },
          }
        : { record: latest.get(`base-${k - 10}`) };
    const layers = [];
    let below = parent;
    for (const name of ["runtime", "app"]) {
      const layer = {
        name,
        inputsDigest: digest(`inputs ${lineage} ${name} ${n}`),
        cacheKey: digest(`key ${lineage} ${name} ${n}`),
      };
      const artifact = digest(`artifact ${lineage} ${name} ${n}`);
      const id = append({
        type: "record",
        kind: "layer",
        lineage,
        version: `1.${n}.0`,
        parent: below,
        driver: "local",
        artifact,
        recipeDigest: digest(`recipe ${lineage}`),
        layer,
        createdAt: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
        bakeVersion: "0.1.0",
        ci: { provider: "github-actions", runId: String(1000 + n), commit: digest(`c${n}`).slice(7, 47) },
      });
      layers.push({ ...layer, record: id, artifact });
      below = { record: id };
      n += 1;
    }
    const build = (builds.get(lineage) ?? 0) + 1;
    builds.set(lineage, build);
    const id = append({
      type: "record",
      kind: "image",
      lineage,
      version: `1.${n}.0`,
      build,
      parent,
      driver: "local",
      artifact: digest(`image ${lineage} ${n}`),
      recipeDigest: digest(`recipe ${lineage}`),
      layers,
      verify: {
        ok: true,
        checks: [{ name: "run: test -x /opt/app/bin", ok: true, attempts: 1, durationMs: 120 }],
      },
      labels: { team: "heroes" },
      createdAt: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
      bakeVersion: "0.1.0",
      ci: { provider: "github-actions", runId: String(1000 + n), commit: digest(`c${n}`).slice(7, 47) },
    });
    latest.set(lineage, id);
    n += 1;
    if (build % 10 === 0) {
      append({
        type: "event",
        event: "promote",
        target: id,
        channel: "stable",
        lineage,
        at: new Date(Date.UTC(2026, 0, 2)).toISOString(),
        bakeVersion: "0.1.0",
      });
    }
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
}
