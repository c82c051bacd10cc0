import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { authSecrets } from "../../../../src/drivers/local/registry/auth-secrets.js";
import { createRedactor } from "../../../../src/drivers/redact.js";

describe("credentials skopeo could read", () => {
  test("are gathered from REGISTRY_AUTH_FILE and the docker config, so a redactor hides token and password", async () => {
    const home = mkdtempSync(join(tmpdir(), "bake-auth-secrets-"));
    const token = Buffer.from("robot:hunter2-hunter2").toString("base64");
    writeFileSync(join(home, "auth.json"), JSON.stringify({ auths: { "r.example": { auth: token } } }));
    mkdirSync(join(home, ".docker"));
    writeFileSync(
      join(home, ".docker/config.json"),
      JSON.stringify({ auths: { "q.example": { identitytoken: "id-token-value" } } }),
    );
    const secrets = await authSecrets({ HOME: home, REGISTRY_AUTH_FILE: join(home, "auth.json") });
    const redact = createRedactor(secrets);
    const text = `auth ${token} password hunter2-hunter2 identity id-token-value`;
    expect(redact(text)).toBe("auth *** password *** identity ***");
  });

  test("are none when no auth file exists", async () => {
    expect(
      await authSecrets({ HOME: join(tmpdir(), "no-such-home"), REGISTRY_AUTH_FILE: "/no/such/file" }),
    ).toEqual({});
  });
});
