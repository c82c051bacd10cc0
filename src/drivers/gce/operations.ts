import { randomUUID } from "node:crypto";
import type { protos } from "@google-cloud/compute";
import { BuildFailedError } from "../../errors.js";
import { type CallOptions, gceCall } from "./call.js";
import type { Compute } from "./client.js";

type Operation = protos.google.cloud.compute.v1.IOperation;

/** Where an operation lives: a zone, a region (regional groups), or global (images, templates). */
export type OperationScope =
  | { project: string; zone: string }
  | { project: string; region: string }
  | { project: string };

/** What every mutation call returns from the client: the operation as `latestResponse`. */
interface OperationHandle {
  latestResponse?: unknown;
  name?: string | null;
}

/**
 * Sends a mutation with a fresh `requestId` (reused by every retry, so Compute Engine runs it once) and waits
 * for its operation: `wait` returns when the operation is DONE or after a server-side deadline, so it loops,
 * then checks the operation's `error`. Returns the finished operation.
 */
export async function mutate(options: {
  compute: Compute;
  call: string;
  scope: OperationScope;
  send: (requestId: string) => Promise<[OperationHandle, ...unknown[]]>;
  callOptions: CallOptions;
}): Promise<Operation> {
  const requestId = randomUUID();
  // A mutation already sent is allowed to land on abort, so the cleanup that follows finds what it made.
  const [handle] = await gceCall(options.call, () => options.send(requestId), {
    ...options.callOptions,
    settleOnAbortMs: 15_000,
  });
  let operation = (handle.latestResponse ?? {}) as Operation;
  const name = operation.name ?? handle.name;
  if (!name)
    throw new BuildFailedError({ code: "gce-api", message: `${options.call} returned no operation` });
  while (operation.status !== "DONE") {
    operation = await waitOnce({ ...options, name });
  }
  const errors = operation.error?.errors ?? [];
  if (errors.length > 0) {
    const what = errors.map((e) => `${e.code ?? "ERROR"}: ${e.message ?? ""}`.trim()).join("; ");
    throw new BuildFailedError({
      code: "gce-operation",
      message: `Compute Engine call ${options.call} failed: operation ${name} ended with ${what}`,
      hint: errors.some((e) => /QUOTA|EXHAUSTED/.test(e.code ?? ""))
        ? "request more quota, or use another machineType or zone"
        : undefined,
    });
  }
  return operation;
}

async function waitOnce(options: {
  compute: Compute;
  call: string;
  scope: OperationScope;
  name: string;
  callOptions: CallOptions;
}): Promise<Operation> {
  const { scope, name, compute } = options;
  if ("zone" in scope) {
    const [operation] = await gceCall(
      `zoneOperations.wait (for ${options.call})`,
      () => compute.zoneOperations.wait({ project: scope.project, zone: scope.zone, operation: name }),
      options.callOptions,
    );
    return operation;
  }
  if ("region" in scope) {
    const [operation] = await gceCall(
      `regionOperations.wait (for ${options.call})`,
      () => compute.regionOperations.wait({ project: scope.project, region: scope.region, operation: name }),
      options.callOptions,
    );
    return operation;
  }
  const [operation] = await gceCall(
    `globalOperations.wait (for ${options.call})`,
    () => compute.globalOperations.wait({ project: scope.project, operation: name }),
    options.callOptions,
  );
  return operation;
}
