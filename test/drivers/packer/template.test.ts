// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell, HCL and recipe strings spell ${...} literally.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { builderProfile } from "../../../src/drivers/packer/builders.js";
import {
  type CompiledTemplate,
  compileLayerTemplate,
  compileVerifyTemplate,
  type TemplateOptions,
} from "../../../src/drivers/packer/template.js";
import type { BuildPlan } from "../../../src/plan/types.js";

const fixtures = path.resolve(import.meta.dirname, "../../fixtures/packer");
const plan = JSON.parse(readFileSync(path.join(fixtures, "plans/two-layer.json"), "utf8")) as BuildPlan;

function dockerOptions(extra: Partial<TemplateOptions> = {}): TemplateOptions {
  return {
    builder: "docker",
    profile: builderProfile("docker") as NonNullable<ReturnType<typeof builderProfile>>,
    source: {},
    recipeRoot: "../two-layer",
    ...extra,
  };
}

// The template and every file beside it, as one text per path, for golden comparison.
function rendered(compiled: CompiledTemplate): Record<string, string> {
  return {
    [compiled.name]: `${JSON.stringify(compiled.template, null, 2)}\n`,
    ...Object.fromEntries(compiled.files.map((file) => [file.path, file.content])),
  };
}

async function matchGolden(compiled: CompiledTemplate, dir: string): Promise<void> {
  for (const [file, text] of Object.entries(rendered(compiled))) {
    await expect(text).toMatchFileSnapshot(path.join(fixtures, "golden", dir, file));
  }
}

describe("layer templates", () => {
  it("compiles the first layer with its pinned parent to the golden template", async () => {
    const compiled = compileLayerTemplate(plan, 0, dockerOptions({ parent: "sha256:d2087a96466614c8" }));
    await matchGolden(compiled, "two-layer");
  });

  it("compiles the second layer, with copies, file uploads and secrets, to the golden template", async () => {
    const compiled = compileLayerTemplate(
      plan,
      1,
      dockerOptions({ preserve: { entrypoint: null, cmd: ["/bin/sh"] } }),
    );
    await matchGolden(compiled, "two-layer");
  });

  it("puts the exact parent id in the builder's parent field through the bake_parent variable", () => {
    const compiled = compileLayerTemplate(plan, 0, dockerOptions({ parent: "sha256:abc" }));
    const template = compiled.template as {
      variable: Record<string, { default?: string }>;
      source: { docker: { bake: Record<string, unknown> } };
    };
    expect(template.source.docker.bake.image).toBe("${var.bake_parent}");
    expect(template.variable.bake_parent?.default).toBe("sha256:abc");
    expect(template.source.docker.bake).toMatchObject({ commit: true, pull: false });
    expect(template.source.docker.bake.run_command).toContain("--network=none");
  });

  it("declares secrets as sensitive variables and never writes their values", () => {
    const compiled = compileLayerTemplate(plan, 1, dockerOptions());
    const text = JSON.stringify(compiled.template);
    expect(compiled.secrets).toEqual(["token"]);
    expect((compiled.template as { variable: Record<string, unknown> }).variable.token).toEqual({
      type: "string",
      sensitive: true,
    });
    expect(text).toContain("BAKE_SECRET_token=${base64encode(var.token)}");
    // The secret file step has no content file: its script writes the value inside the instance.
    expect(compiled.files.map((file) => file.path)).not.toContain("02-app/step-03.content");
  });

  it("escapes HCL interpolation in paths, so a literal ${ in the recipe root stays literal", () => {
    const compiled = compileLayerTemplate(plan, 1, dockerOptions({ recipeRoot: "/srv/${odd}/recipes" }));
    const provisioners = (
      compiled.template as { build: { provisioner: Record<string, { source?: string }>[] } }
    ).build.provisioner;
    expect(provisioners[0]?.file?.source).toBe("/srv/$${odd}/recipes/app/");
  });

  it("keeps the recipe's source options and lets run_command replace bake's default", () => {
    const compiled = compileLayerTemplate(
      plan,
      0,
      dockerOptions({ source: { run_command: ["-d", "-t", "--", "{{.Image}}"], privileged: true } }),
    );
    const source = (compiled.template as { source: { docker: { bake: Record<string, unknown> } } }).source
      .docker.bake;
    expect(source.run_command).toEqual(["-d", "-t", "--", "{{.Image}}"]);
    expect(source.privileged).toBe(true);
  });

  it("fills the parent field of other builders and of builders the recipe describes", () => {
    const gce = compileLayerTemplate(plan, 0, {
      ...dockerOptions({ parent: "debian-12-bookworm-v20240110" }),
      builder: "googlecompute",
      profile: builderProfile("googlecompute") as NonNullable<ReturnType<typeof builderProfile>>,
      source: { project_id: "p", zone: "z", ssh_username: "packer" },
    });
    const custom = compileLayerTemplate(plan, 0, {
      ...dockerOptions({ parent: "base.qcow2" }),
      builder: "vmware-vmx",
      profile: builderProfile("vmware-vmx", "source_path") as NonNullable<ReturnType<typeof builderProfile>>,
    });
    expect(
      (gce.template as { source: Record<string, Record<string, Record<string, unknown>>> }).source
        .googlecompute?.bake,
    ).toMatchObject({
      source_image: "${var.bake_parent}",
      project_id: "p",
    });
    expect(
      (custom.template as { source: Record<string, Record<string, Record<string, unknown>>> }).source[
        "vmware-vmx"
      ]?.bake,
    ).toEqual({
      source_path: "${var.bake_parent}",
    });
  });

  it("refuses a copy source whose name Packer would read as a Go template", () => {
    const copy = structuredClone(plan);
    const step = copy.layers[1]?.steps[0];
    if (step?.kind === "copy") step.from = "{{bad}}";
    expect(() => compileLayerTemplate(copy, 1, dockerOptions())).toThrow(/Go template|Packer would read/);
  });
});

describe("verify template", () => {
  it("compiles the checks to the golden template that keeps no image", async () => {
    const compiled = compileVerifyTemplate(plan, {
      ...dockerOptions({ parent: "sha256:feed" }),
      nonce: "n0nce",
    });
    await matchGolden(compiled, "two-layer");
    const source = (compiled.template as { source: { docker: { bake: Record<string, unknown> } } }).source
      .docker.bake;
    expect(source.discard).toBe(true);
    expect(source.commit).toBeUndefined();
  });

  it("drops options that would keep an image, and asks googlecompute to skip its image", () => {
    const docker = compileVerifyTemplate(plan, {
      ...dockerOptions({ source: { commit: true, changes: ["USER app"] } }),
      nonce: "x",
    });
    const gce = compileVerifyTemplate(plan, {
      ...dockerOptions(),
      builder: "googlecompute",
      profile: builderProfile("googlecompute") as NonNullable<ReturnType<typeof builderProfile>>,
      nonce: "x",
    });
    const dockerSource = (docker.template as { source: { docker: { bake: Record<string, unknown> } } }).source
      .docker.bake;
    expect(dockerSource.commit).toBeUndefined();
    expect(dockerSource.changes).toBeUndefined();
    expect(
      (gce.template as { source: { googlecompute: { bake: Record<string, unknown> } } }).source.googlecompute
        .bake.skip_create_image,
    ).toBe(true);
  });
});
