import { describe, expect, it } from "vitest";
import { applyRuntimeConfig } from "../../../src/drivers/local/runtime-config.js";

const parent = {
  Entrypoint: ["/docker-entrypoint.sh"],
  Cmd: ["nginx", "-g", "daemon off;"],
  Env: ["PATH=/usr/bin:/bin", "NGINX_VERSION=1.25"],
  WorkingDir: "/",
  ExposedPorts: { "80/tcp": {} },
  StopSignal: "SIGQUIT",
  Labels: { maintainer: "upstream", tier: "base" },
};

describe("applyRuntimeConfig", () => {
  it("keeps the parent's config when the recipe sets none", () => {
    expect(applyRuntimeConfig(parent, undefined)).toEqual(parent);
  });

  it("drops an inherited cmd when the recipe sets a new entrypoint, as a Dockerfile does", () => {
    const out = applyRuntimeConfig(parent, { entrypoint: ["/app/server"] });
    expect(out.Entrypoint).toEqual(["/app/server"]);
    expect(out.Cmd).toBeUndefined();
    expect(applyRuntimeConfig(parent, { entrypoint: ["/app/server"], cmd: ["--port", "8080"] }).Cmd).toEqual([
      "--port",
      "8080",
    ]);
  });

  it("keeps the inherited entrypoint when only cmd changes", () => {
    const out = applyRuntimeConfig(parent, { cmd: ["nginx", "-T"] });
    expect(out).toMatchObject({ Entrypoint: ["/docker-entrypoint.sh"], Cmd: ["nginx", "-T"] });
  });

  it("merges env by name in place and labels and ports by key, replacing the rest", () => {
    const out = applyRuntimeConfig(parent, {
      env: { NGINX_VERSION: "1.27", APP: "web" },
      labels: { tier: "web" },
      exposedPorts: ["8080/tcp"],
      workdir: "/srv",
      user: "www-data",
      stopSignal: "SIGTERM",
    });
    expect(out.Env).toEqual(["PATH=/usr/bin:/bin", "NGINX_VERSION=1.27", "APP=web"]);
    expect(out.Labels).toEqual({ maintainer: "upstream", tier: "web" });
    expect(out.ExposedPorts).toEqual({ "80/tcp": {}, "8080/tcp": {} });
    expect(out).toMatchObject({ WorkingDir: "/srv", User: "www-data", StopSignal: "SIGTERM" });
    expect(parent.Env).toEqual(["PATH=/usr/bin:/bin", "NGINX_VERSION=1.25"]);
  });
});
