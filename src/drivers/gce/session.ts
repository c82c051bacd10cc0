import type { protos } from "@google-cloud/compute";
import { apiFailure, type CallOptions, gceCall, isNotFound } from "./call.js";
import type { Compute } from "./client.js";
import { type ImageReference, parseImageReference } from "./image-ref.js";
import { mutate } from "./operations.js";
import type { GceOptions } from "./options.js";

export type Image = protos.google.cloud.compute.v1.IImage;
export type Instance = protos.google.cloud.compute.v1.IInstance;
export type Disk = protos.google.cloud.compute.v1.IDisk;

/**
 * The calls bake makes, bound to one target's options, its clients and a cancellation signal. Every mutation
 * carries a `requestId` and is waited on until DONE; deletes treat "not found" as done.
 */
export class GceSession {
  constructor(
    readonly options: GceOptions,
    readonly compute: Compute,
    readonly signal: AbortSignal,
  ) {}

  /** The same session with another signal (cleanup runs even after an abort). */
  withSignal(signal: AbortSignal): GceSession {
    return new GceSession(this.options, this.compute, signal);
  }

  get callOptions(): CallOptions {
    return { signal: this.signal, retries: this.options.retries, retryDelayMs: this.options.retryDelayMs };
  }

  call<T>(name: string, send: () => Promise<T>): Promise<T> {
    return gceCall(name, send, this.callOptions);
  }

  /** Collects every page of a listing; a transient failure retries the whole listing. */
  list<T>(name: string, iterate: () => AsyncIterable<T>): Promise<T[]> {
    return this.call(name, async () => {
      const items: T[] = [];
      for await (const item of iterate()) items.push(item);
      return items;
    });
  }

  get zoneScope() {
    return { project: this.options.project, zone: this.options.zone };
  }

  async insertInstance(resource: Instance): Promise<void> {
    await mutate({
      compute: this.compute,
      call: "instances.insert",
      scope: this.zoneScope,
      send: (requestId) =>
        this.compute.instances.insert({ ...this.zoneScope, requestId, instanceResource: resource }) as never,
      callOptions: this.callOptions,
    });
  }

  async getInstance(name: string): Promise<Instance | undefined> {
    try {
      const [instance] = await this.call("instances.get", () =>
        this.compute.instances.get({ ...this.zoneScope, instance: name }),
      );
      return instance;
    } catch (error) {
      if (isNotFound((error as { cause?: unknown }).cause)) return undefined;
      throw error;
    }
  }

  /**
   * Removes the `startup-script` item from an instance's metadata (under its fingerprint), once the guest has
   * read it: a script that carries secrets is then no longer readable through `instances.get`.
   */
  async removeStartupScript(name: string): Promise<void> {
    const instance = await this.getInstance(name);
    const items = (instance?.metadata?.items ?? []).filter((item) => item.key !== "startup-script");
    await mutate({
      compute: this.compute,
      call: "instances.setMetadata",
      scope: this.zoneScope,
      send: (requestId) =>
        this.compute.instances.setMetadata({
          ...this.zoneScope,
          requestId,
          instance: name,
          metadataResource: { fingerprint: instance?.metadata?.fingerprint ?? "", items },
        }) as never,
      callOptions: this.callOptions,
    });
  }

  async stopInstance(name: string): Promise<void> {
    await mutate({
      compute: this.compute,
      call: "instances.stop",
      scope: this.zoneScope,
      send: (requestId) =>
        this.compute.instances.stop({ ...this.zoneScope, requestId, instance: name }) as never,
      callOptions: this.callOptions,
    });
  }

  async deleteInstance(name: string, zone = this.options.zone): Promise<void> {
    const scope = { project: this.options.project, zone };
    await ignoreNotFound(() =>
      mutate({
        compute: this.compute,
        call: "instances.delete",
        scope,
        send: (requestId) => this.compute.instances.delete({ ...scope, requestId, instance: name }) as never,
        callOptions: this.callOptions,
      }),
    );
  }

  async deleteDisk(name: string, zone = this.options.zone): Promise<void> {
    const scope = { project: this.options.project, zone };
    await ignoreNotFound(() =>
      mutate({
        compute: this.compute,
        call: "disks.delete",
        scope,
        send: (requestId) => this.compute.disks.delete({ ...scope, requestId, disk: name }) as never,
        callOptions: this.callOptions,
      }),
    );
  }

  /** Reads an image by reference: a family gives its newest non-deprecated image. */
  async getImage(reference: ImageReference): Promise<Image> {
    if ("family" in reference) {
      const [image] = await this.call("images.getFromFamily", () =>
        this.compute.images.getFromFamily({ project: reference.project, family: reference.family }),
      );
      return image;
    }
    const [image] = await this.call("images.get", () =>
      this.compute.images.get({ project: reference.project, image: reference.name }),
    );
    return image;
  }

  async insertImage(resource: Image): Promise<void> {
    const project = this.options.project;
    await mutate({
      compute: this.compute,
      call: "images.insert",
      scope: { project },
      send: (requestId) =>
        this.compute.images.insert({ project, requestId, imageResource: resource }) as never,
      callOptions: this.callOptions,
    });
  }

  async deleteImage(project: string, name: string): Promise<void> {
    await ignoreNotFound(() =>
      mutate({
        compute: this.compute,
        call: "images.delete",
        scope: { project },
        send: (requestId) => this.compute.images.delete({ project, requestId, image: name }) as never,
        callOptions: this.callOptions,
      }),
    );
  }

  /** Sets an image's deprecation state; `replacement` is the self link of the image to use instead. */
  async deprecateImage(input: {
    project: string;
    name: string;
    state: string;
    replacement?: string;
  }): Promise<void> {
    const { project, name } = input;
    await mutate({
      compute: this.compute,
      call: "images.deprecate",
      scope: { project },
      send: (requestId) =>
        this.compute.images.deprecate({
          project,
          image: name,
          requestId,
          deprecationStatusResource: {
            state: input.state,
            ...(input.replacement === undefined ? {} : { replacement: input.replacement }),
          },
        }) as never,
      callOptions: this.callOptions,
    });
  }

  /**
   * Merges labels into an image's labels under its fingerprint. When another writer changed them first (412),
   * it reads the labels again and retries, a few times.
   */
  async mergeImageLabels(project: string, name: string, labels: Record<string, string>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const image = await this.getImage({ project, name });
      try {
        await mutate({
          compute: this.compute,
          call: "images.setLabels",
          scope: { project },
          // images.setLabels takes no requestId: the fingerprint makes a repeat harmless instead.
          send: () =>
            this.compute.images.setLabels({
              project,
              resource: name,
              globalSetLabelsRequestResource: {
                labels: { ...(image.labels ?? {}), ...labels },
                labelFingerprint: image.labelFingerprint ?? "",
              },
            }) as never,
          callOptions: this.callOptions,
        });
        return;
      } catch (error) {
        const stale = apiFailure((error as { cause?: unknown }).cause).status === 412;
        if (!stale || attempt >= 3) throw error;
      }
    }
  }
}

/** Reads an image reference, or undefined when it is not one. */
export function imageReference(location: string): ImageReference | undefined {
  return parseImageReference(location);
}

async function ignoreNotFound(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (isNotFound((error as { cause?: unknown }).cause)) return;
    throw error;
  }
}
