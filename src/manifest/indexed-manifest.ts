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
  // Lines already named in a warning: one command may build two indexes (images only, then in full).
  private readonly warnedLines = new Set<number>();

  /** The index of every line read so far, built on first use. */
  protected abstract state(): ManifestState;

  /**
   * An index that holds every event, for the reads that concern only events (events, observations, servers,
   * publications): the full one, unless a subclass has a cheaper one at hand that holds them all too.
   */
  protected eventState(): ManifestState {
    return this.state();
  }

  /**
   * Names, through `warn`, each line an index just built left out because it cannot be read (not JSON, not a record
   * or event, or not their shape), once per line: readers show the rest, and writers refuse (`manifest-damaged`).
   */
  protected warnUnreadable(state: ManifestState, warn: ((message: string) => void) | undefined): void {
    if (!warn) return;
    for (const { line, message } of state.unreadable) {
      if (this.warnedLines.has(line)) continue;
      this.warnedLines.add(line);
      warn(
        `${this.path} line ${line} cannot be read (${message}); it is left out of what is shown, and bake will not write to this manifest (run \`bake fsck\`, then restore the line from git or a backup)`,
      );
    }
  }

  records(): readonly ImageRecord[] {
    return this.state().recordList();
  }

  events(): readonly ManifestEvent[] {
    return this.eventState().eventList();
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

  ancestry(ref: string): Ancestry {
    const chain = this.state().chain(this.resolve(ref).id);
    const bottom = chain[chain.length - 1] as ImageRecord;
    return "external" in bottom.parent ? { chain, base: bottom.parent.external } : { chain };
  }

  descendants(ref: string): ImageRecord[] {
    return this.state().descendants(this.resolve(ref).id);
  }

  status(ref: string): ImageStatus {
    return this.state().status(this.resolve(ref).id);
  }

  observations(id: string): Observation[] {
    return [...(this.eventState().observed.get(id)?.values() ?? [])];
  }

  server(name: string): Observation | undefined {
    return this.eventState().servers.get(name);
  }

  publications(id: string): Publication[] {
    return this.eventState().publications.filter((publication) => publication.target === id);
  }

  published(digest: string): Publication[] {
    return [...(this.eventState().publishedDigests.get(digest) ?? [])];
  }
}
