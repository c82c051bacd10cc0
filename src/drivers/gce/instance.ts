import { BakeError } from "../../errors.js";
import type { GceOptions } from "./options.js";
import type { Instance } from "./session.js";
import { METADATA_VALUE_LIMIT, scriptSize } from "./startup-script.js";

/**
 * The resource for a temporary instance (builder or verifier): boot disk from `sourceImage` with the same
 * name and labels (so `bake gc` finds both), the startup script as metadata, and a maximum run duration with
 * a DELETE termination action, so Compute Engine removes it even when bake was killed.
 */
export function temporaryInstance(input: {
  options: GceOptions;
  name: string;
  sourceImage: string;
  startupScript: string;
  labels: Record<string, string>;
}): Instance {
  const { options } = input;
  const zone = options.zone;
  const labels = { ...options.labels, ...input.labels };
  return {
    name: input.name,
    machineType: `zones/${zone}/machineTypes/${options.machineType}`,
    labels,
    disks: [
      {
        boot: true,
        autoDelete: true,
        initializeParams: {
          diskName: input.name,
          sourceImage: input.sourceImage,
          diskType: `zones/${zone}/diskTypes/${options.diskType}`,
          labels,
          ...(options.diskSizeGb === undefined ? {} : { diskSizeGb: options.diskSizeGb }),
        },
      },
    ],
    metadata: { items: [{ key: "startup-script", value: input.startupScript }] },
    networkInterfaces: [
      {
        ...(options.network === undefined ? {} : { network: options.network }),
        ...(options.subnetwork === undefined ? {} : { subnetwork: options.subnetwork }),
        ...(options.externalIp ? { accessConfigs: [{ name: "External NAT", type: "ONE_TO_ONE_NAT" }] } : {}),
      },
    ],
    ...(options.serviceAccount === undefined
      ? {}
      : {
          serviceAccounts: [
            { email: options.serviceAccount, scopes: ["https://www.googleapis.com/auth/cloud-platform"] },
          ],
        }),
    scheduling: {
      maxRunDuration: { seconds: options.maxRunDurationS },
      instanceTerminationAction: "DELETE",
    },
  };
}

/** Refuses a startup script beyond Compute Engine's metadata limit, saying by how much, before anything is created. */
export function assertScriptFits(script: string, what: string): void {
  const size = scriptSize(script);
  if (size.excess === 0) return;
  throw new BakeError({
    code: "gce-startup-script-too-large",
    message: `the startup script for ${what} is ${size.bytes} bytes, ${size.excess} bytes beyond Compute Engine's ${METADATA_VALUE_LIMIT}-byte limit for a metadata value`,
    hint: "inline copies and files are embedded in the script: fetch large files in a run step (from a bucket), or move them to a parent layer",
  });
}
