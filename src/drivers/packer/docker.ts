import { BakeError } from "../../errors.js";
import { capture } from "../../util/capture.js";

/** What bake needs to know of a local docker image. */
export interface DockerImage {
  id: string;
  entrypoint: string[] | null;
  cmd: string[] | null;
  /** The image's user; `""` when unset (root). */
  user: string;
  repoTags: string[];
}

interface DockerContext {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/** Inspects a local image by name or id; `undefined` when it does not exist. Never pulls. */
export async function inspectImage(ref: string, ctx: DockerContext): Promise<DockerImage | undefined> {
  const result = await capture("docker", ["image", "inspect", "--format", "{{json .}}", ref], {
    env: ctx.env,
    cwd: ctx.cwd,
    timeoutMs: 60_000,
  });
  if (result.missing) {
    throw new BakeError({
      code: "docker-missing",
      message: "cannot run docker: the docker CLI was not found",
      hint: "install Docker (`apt-get install docker.io`) and start dockerd",
    });
  }
  if (result.exitCode !== 0) {
    const stderr = `${result.stderr}`;
    if (/no such (image|object)/i.test(stderr)) return undefined;
    throw new BakeError({
      code: "docker-failed",
      message: `docker image inspect ${ref} failed: ${stderr.trim().split("\n")[0] ?? ""}`,
      hint: "is dockerd running? `docker info` should answer",
    });
  }
  const body = JSON.parse(`${result.stdout}`) as {
    Id: string;
    RepoTags?: string[] | null;
    Config?: { Entrypoint?: string[] | null; Cmd?: string[] | null; User?: string | null } | null;
  };
  return {
    id: body.Id,
    entrypoint: body.Config?.Entrypoint ?? null,
    cmd: body.Config?.Cmd ?? null,
    user: body.Config?.User ?? "",
    repoTags: body.RepoTags ?? [],
  };
}

/** Removes containers whose name starts with `prefix` (what a killed Packer left); returns their names. */
export async function removeContainers(prefix: string, ctx: DockerContext): Promise<string[]> {
  const list = await capture(
    "docker",
    ["ps", "-a", "--filter", `name=^/${prefix}`, "--format", "{{.Names}}"],
    {
      env: ctx.env,
      cwd: ctx.cwd,
      timeoutMs: 60_000,
    },
  );
  if (list.exitCode !== 0) return [];
  const names = `${list.stdout}`.split("\n").filter((name) => name.startsWith(prefix));
  if (names.length > 0) {
    await capture("docker", ["rm", "-f", ...names], { env: ctx.env, cwd: ctx.cwd, timeoutMs: 60_000 });
  }
  return names;
}
