import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.js";
import { formatImageId } from "../../src/drivers/gce/image-ref.js";
import { type Manifest, openManifest } from "../../src/manifest/manifest.js";
import type { ImageRecord } from "../../src/manifest/types.js";
import type { TextOut } from "../../src/util/text-out.js";
import type { FakeImage } from "../fakes/gce/resources.js";
import { FakeCompute, type FakeComputeOptions } from "../fakes/gce/server.js";

export const PROJECT = "bake-test";
export const ZONE = "us-central1-a";

/** The artifact id bake records for a fake image. */
export const artifact = (image: FakeImage) =>
  formatImageId({ project: image.project, name: image.name, numericId: image.id });

/**
 * A fake Compute Engine with a fast group tick, a manifest with a web lineage of `releases` gce images (web#1 is
 * what the group runs), and the seed's group: `size` healthy instances of web#1 behind a health check.
 */
export class FleetFixture {
  readonly records: ImageRecord[] = [];
  readonly images: FakeImage[] = [];

  private constructor(
    readonly fake: FakeCompute,
    readonly dir: string,
    readonly manifest: Manifest,
  ) {}

  static async create(
    input: {
      size?: number;
      releases?: number;
      region?: string;
      instanceAddress?: FakeComputeOptions["instanceAddress"];
    } = {},
  ): Promise<FleetFixture> {
    const fake = await FakeCompute.start({
      groupTickMs: 10,
      operationLatencyMs: 5,
      waitTimeoutMs: 50,
      ...(input.instanceAddress ? { instanceAddress: input.instanceAddress } : {}),
    });
    const dir = await mkdtemp(join(tmpdir(), "bake-rollout-"));
    const manifest = await openManifest(join(dir, "bake.lineage.jsonl"), { create: true, env: {} });
    const fixture = new FleetFixture(fake, dir, manifest);
    const debian = fake.images.get("debian-cloud/debian-12-bookworm-v20260101") as FakeImage;
    for (let i = 1; i <= (input.releases ?? 3); i++) {
      const image = fake.addImage({ project: PROJECT, name: `web-2-${3 + i}-0-x${i}`, family: "web" });
      fixture.images.push(image);
      fixture.records.push(
        await manifest.register({
          kind: "image",
          lineage: "web",
          version: `2.${3 + i}.0`,
          parent: {
            external: {
              ref: "gce:projects/debian-cloud/global/images/family/debian-12",
              id: artifact(debian),
            },
          },
          driver: "gce",
          artifact: artifact(image),
          recipeDigest: `sha256:${"0".repeat(64)}`,
          layers: [],
        }),
      );
    }
    const template = fake.addTemplate({
      project: PROJECT,
      name: "web-template-1",
      image: fixture.images[0] as FakeImage,
    });
    fake.addGroup({
      project: PROJECT,
      name: "web",
      template,
      size: input.size ?? 20,
      ...(input.region ? { region: input.region } : { zone: ZONE }),
    });
    return fixture;
  }

  /** The environment bake runs with: the fake, fast polling, this manifest. */
  env(): Record<string, string> {
    return {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      BAKE_GCE_ENDPOINT: this.fake.endpoint,
      BAKE_GCE_PROJECT: PROJECT,
      BAKE_GCE_POLL_INTERVAL: "20ms",
      BAKE_GCE_RETRY_DELAY: "10ms",
      BAKE_MANIFEST: join(this.dir, "bake.lineage.jsonl"),
      NO_COLOR: "1",
      CI: "true",
    };
  }

  /** Runs `bake ARGS` in-process, as the CLI would. */
  async bake(
    args: string[],
    signal?: AbortSignal,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const out = (append: (text: string) => void): TextOut => ({
      write: (text) => append(text),
      isTTY: false,
    });
    const code = await main(args, {
      cwd: this.dir,
      env: this.env(),
      stdout: out((text) => {
        stdout += text;
      }),
      stderr: out((text) => {
        stderr += text;
      }),
      signal: signal ?? new AbortController().signal,
    });
    return { code, stdout, stderr };
  }

  /** How many instances of the group run each template. */
  templates(group = "web"): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const member of this.fake.group(group).members)
      counts[member.template] = (counts[member.template] ?? 0) + 1;
    return counts;
  }

  async close(): Promise<void> {
    await this.fake.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}
