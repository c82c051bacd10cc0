/** OCI image-spec media types and shapes the local store reads and writes. */
export const MEDIA = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  index: "application/vnd.oci.image.index.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  layerTar: "application/vnd.oci.image.layer.v1.tar",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** The OCI layout's `oci-layout` file. */
export const OCI_LAYOUT_FILE = '{"imageLayoutVersion":"1.0.0"}';

/**
 * The `index.json` of an OCI layout holding one image: its manifest (by digest and byte size, with the manifest's own
 * media type, so a Docker schema 2 manifest keeps its bytes and digest) and any annotations on that entry.
 */
export function singleImageIndex(image: {
  id: string;
  manifest: Pick<ImageManifest, "mediaType">;
  manifestSize: number;
  annotations?: Record<string, string>;
}): ImageIndex {
  const annotations = image.annotations ?? {};
  return {
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: [
      {
        mediaType: image.manifest.mediaType ?? MEDIA.manifest,
        digest: image.id,
        size: image.manifestSize,
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      },
    ],
  };
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  created?: string;
  architecture: string;
  os: string;
  config?: {
    Env?: string[];
    Cmd?: string[];
    Entrypoint?: string[];
    WorkingDir?: string;
    User?: string;
    /** Keys are `PORT/proto`; values are empty objects (the OCI image spec's encoding of a set). */
    ExposedPorts?: Record<string, Record<string, never>>;
    StopSignal?: string;
    Labels?: Record<string, string>;
  };
  rootfs: { type: "layers"; diff_ids: string[] };
  history?: HistoryEntry[];
}

/** The OCI architecture name of this machine. */
export function hostArchitecture(): string {
  const names: Partial<Record<NodeJS.Architecture, string>> = {
    x64: "amd64",
    arm64: "arm64",
    arm: "arm",
    ia32: "386",
    ppc64: "ppc64le",
    s390x: "s390x",
    riscv64: "riscv64",
  };
  return names[process.arch] ?? process.arch;
}

/** Image label keys bake sets. */
export const LABELS = {
  lineage: "dev.bake.lineage",
  version: "dev.bake.version",
  layer: "dev.bake.layer",
  base: "dev.bake.base",
  portable: "dev.bake.base.portable",
} as const;

/** `sha256:<hex>` → `<hex>`, refusing anything else (digests become file names). */
export function digestHex(digest: string): string {
  const match = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!match) throw new Error(`not a sha256 digest: ${digest}`);
  return match[1] as string;
}

/** Whether a string is a full `sha256:` digest. */
export function isDigest(value: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(value);
}
