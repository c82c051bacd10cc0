import { BakeError, type BakeErrorCode } from "../../../errors.js";
import { createRedactor } from "../../redact.js";
import { authSecrets } from "./auth-secrets.js";

/** How one skopeo command runs. */
export interface SkopeoOptions {
  /** skopeo's whole environment: `HOME`, `REGISTRY_AUTH_FILE`, `XDG_RUNTIME_DIR` and proxies steer it. */
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  /** The image reference the command is about, for error messages. */
  ref: string;
  /** What bake is doing, for error messages. @default "pull" */
  action?: "pull" | "push";
  /** Values to hide in skopeo's messages besides the auth files' credentials (those bake handed it). */
  secrets?: Readonly<Record<string, string>>;
}

/**
 * Runs `skopeo ARGS` and returns its stdout as bytes (a raw manifest's digest is over its exact bytes).
 * skopeo reads registries.conf, certs.d, auth files and mirrors itself; bake adds only `--registries-conf` when
 * `CONTAINERS_REGISTRIES_CONF` is set, since skopeo before 1.10 ignores that variable.
 * Failures become BakeErrors whose text has every credential from the auth files hidden.
 */
export async function skopeo(args: readonly string[], options: SkopeoOptions): Promise<Buffer> {
  // Loaded on first use: a build whose base is not in a registry never needs a process runner.
  const { execa } = await import("execa");
  const conf = options.env.CONTAINERS_REGISTRIES_CONF;
  const argv = [...(conf ? ["--registries-conf", conf] : []), ...args];
  const result = await execa("skopeo", argv, {
    env: options.env,
    extendEnv: false,
    reject: false,
    stdin: "ignore",
    encoding: "buffer",
    cancelSignal: options.signal,
    maxBuffer: 64 << 20,
  });
  if (result.failed) {
    if ((result as { code?: string }).code === "ENOENT" || /ENOENT/.test(String(result.message))) {
      throw new BakeError({
        code: "skopeo-missing",
        message:
          options.action === "push"
            ? `pushing to a registry (${options.ref}) needs skopeo, which is not installed`
            : `bases from registries (${options.ref}) are pulled with skopeo, which is not installed`,
        hint:
          options.action === "push"
            ? "install it (apt-get install skopeo)"
            : "install it (apt-get install skopeo), or save the image and use from: oci-archive:PATH",
      });
    }
    if (result.isCanceled) throw options.signal.reason ?? new Error("aborted");
    const redact = createRedactor({ ...(await authSecrets(options.env)), ...options.secrets });
    const what = options.action === "push" ? `push to ${options.ref}` : `pull ${options.ref}`;
    throw skopeoError(redact(Buffer.from(result.stderr).toString("utf8")), what);
  }
  return Buffer.from(result.stdout);
}

const KINDS: { code: BakeErrorCode; pattern: RegExp; message: string; hint: string }[] = [
  {
    code: "registry-auth",
    pattern:
      /unauthorized|authentication required|invalid username\/password|access to the resource is denied/i,
    message: "the registry refused the credentials (or asked for some)",
    hint: "log in (skopeo login HOST) or point REGISTRY_AUTH_FILE at an auth file with the right credentials",
  },
  {
    code: "base-corrupt",
    pattern:
      /digest did not match|digest mismatch|does not match (?:the )?(?:expected )?digest|manifest digest/i,
    message: "the registry sent bytes that do not match their digest",
    hint: "the registry's copy is damaged or was tampered with; push the image again, or use another mirror",
  },
  {
    code: "base-not-found",
    pattern: /manifest unknown|name unknown|not found/i,
    message: "the registry has no such image",
    hint: "check the repository, tag or digest (skopeo list-tags docker://REGISTRY/REPO)",
  },
  {
    code: "registry-tls",
    pattern: /x509|certificate|tls:|server gave HTTP response to HTTPS client/i,
    message: "the registry's TLS could not be verified",
    hint: "trust its CA in /etc/containers/certs.d/HOST:PORT/ca.crt (or ~/.config/containers/certs.d), or mark a plain-HTTP registry insecure in registries.conf",
  },
  {
    code: "registry-unreachable",
    pattern:
      /connection refused|no such host|dial tcp|i\/o timeout|network is unreachable|EOF|connection reset/i,
    message: "the registry cannot be reached",
    hint: "check the registry's address and that it is up; registries.conf can name a mirror",
  },
];

// skopeo's last line says what failed; it is kept (redacted) as the error's detail.
function skopeoError(stderr: string, what: string): BakeError {
  const lines = stderr.split("\n").filter((line) => line.trim() !== "");
  const last = (lines.at(-1) ?? "skopeo failed").replace(/^time="[^"]*" level=\w+ msg="(.*)"$/, "$1");
  // Matched on skopeo's fatal line only: earlier warnings (about an auth file, say) are not the failure.
  const kind = KINDS.find((candidate) => candidate.pattern.test(last));
  return new BakeError({
    code: kind?.code ?? "registry-error",
    message: `cannot ${what}: ${kind?.message ?? "skopeo failed"}`,
    hint: kind?.hint ?? "see skopeo's message below",
    detail: `skopeo: ${last}`,
  });
}
