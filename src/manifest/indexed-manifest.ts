import { BakeError } from "../errors.js";
import type { Ancestry } from "./api.js";
import { resolveRef } from "./resolve.js";
import type { ManifestState } from "./state.js";
import type { ImageRecord, ImageStatus, ManifestEvent, Observation, Publication } from "./types.js";

/**
 * The reads every manifest answers from its index, whatever holds the lines (a file, a git branch, PostgreSQL).
 * A subclass says where the index comes from; lookups, ancestry and status are the same everywhere.
 */
export abstract class IndexedManifest {
  abstract readonly path: string;

  /** The index of every line read so far, built on first use. */
  protected abstract state(): ManifestState;

  records(): readonly ImageRecord[] {
    return this.state().records;
  }

  events(): readonly ManifestEvent[] {
    return this.state().events;
  }

  get(id: string): ImageRecord | undefined {
    return this.state().byId.get(id);
  }

  lineOf(id: string): number | undefined {
    return this.state().lines.get(id);
  }

  resolve(ref: string): ImageRecord {
    return resolveRef(this.state(), this.path, ref);
  }

  findLayer(cacheKey: string, driver: string): ImageRecord | undefined {
    return this.state().findLayer(cacheKey, driver);
  }

  ancestry(id: string): Ancestry {
    const chain = this.state().chain(this.known(id).id);
    const bottom = chain[chain.length - 1] as ImageRecord;
    return "external" in bottom.parent ? { chain, base: bottom.parent.external } : { chain };
  }

  descendants(id: string): ImageRecord[] {
    return this.state().descendants(this.known(id).id);
  }

  status(id: string): ImageStatus {
    return this.state().status(this.known(id).id);
  }

  observations(id: string): Observation[] {
    return [...(this.state().observed.get(id)?.values() ?? [])];
  }

  server(name: string): Observation | undefined {
    return this.state().servers.get(name);
  }

  publications(id: string): Publication[] {
    return this.state().publications.filter((publication) => publication.target === id);
  }

  published(digest: string): Publication[] {
    return [...(this.state().publishedDigests.get(digest) ?? [])];
  }

  protected known(id: string): ImageRecord {
    const record = this.state().byId.get(id);
    if (!record) throw new BakeError({ code: "ref-not-found", message: `no record has the id ${id}` });
    return record;
  }
}
