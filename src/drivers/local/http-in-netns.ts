import { execFile } from "node:child_process";
import { HOST_PATH } from "./namespace.js";

/** What a GET made inside a sandbox's network namespace answered. */
export type NetnsResponse = { status: number; body: string } | { error: string };

// Node's own fetch, run by nsenter inside the service's user and network namespaces: it sees only the sandbox's
// loopback, so 127.0.0.1 there is the image's service and never the build machine's. Up to 1 MiB of the body
// comes back as JSON on stdout; bake compares it.
const CLIENT = `
const [url, timeout] = process.argv.slice(1);
const done = (value) => process.stdout.write(JSON.stringify(value));
fetch(url, { redirect: "manual", signal: AbortSignal.timeout(Number(timeout)) })
  .then(async (response) => {
    const text = await response.text();
    done({ status: response.status, body: text.slice(0, 1048576) });
  })
  .catch((error) => done({ error: (error && error.cause && error.cause.code) || String(error && error.message) }));
`;

/**
 * GETs `url` from inside the network namespace held by host process `pid` (a sandbox's namespace holder).
 * `--preserve-credentials` keeps the caller's ids: the sandbox may deny setgroups, and the client needs no root.
 */
export function getInNetns(input: {
  pid: number;
  url: string;
  timeoutMs: number;
  signal: AbortSignal;
}): Promise<NetnsResponse> {
  // setpriv --pdeathsig: a client never outlives bake, even one killed mid-check.
  const argv = [
    "--pdeathsig",
    "KILL",
    "nsenter",
    "--target",
    String(input.pid),
    "--user",
    "--net",
    "--preserve-credentials",
    "--",
    process.execPath,
    "-e",
    CLIENT,
    input.url,
    String(input.timeoutMs),
  ];
  return new Promise((resolve) => {
    execFile(
      "setpriv",
      argv,
      {
        env: { PATH: HOST_PATH },
        signal: input.signal,
        timeout: input.timeoutMs + 5_000,
        maxBuffer: 4 * 1024 * 1024,
        killSignal: "SIGKILL",
      },
      (error, stdout, stderr) => {
        if (stdout) {
          try {
            resolve(JSON.parse(stdout) as NetnsResponse);
            return;
          } catch {}
        }
        const said = stderr.trim().split("\n").at(-1);
        resolve({ error: said || (error ? error.message : "no answer") });
      },
    );
  });
}
