import { BakeError } from "../errors.js";
import type { Manifest } from "./api.js";
import { ChainVerifier } from "./chain.js";
import { buildHistory } from "./history.js";
import { IndexedManifest } from "./indexed-manifest.js";
import { emptyLoaded, indexBytes, type Loaded } from "./load.js";
import type { ManifestState } from "./state.js";
import type {
  HistoryOptions,
  ImageRecord,
  Integrity,
  LineageHistory,
  ManifestEvent,
  ManifestHeader,
  TornTail,
} from "./types.js";

/** Options for {@link manifestFromText}. */
export interface TextOptions {
  /** What messages call the manifest, such as the URL it was fetched from. @default "(text)" */
  name?: string;
  /**
   * Check every line's hash and the chain while reading, and throw a `manifest-chain-broken` BakeError naming the
   * first line that breaks it (as `OpenOptions.verify`). @default false
   */
  verify?: boolean;
}

/**
 * Opens a manifest held in memory, for a tool that fetched one from elsewhere (an artifact store, an HTTP response,
 * `git show`). It reads like {@link openManifest}'s, indexed without holding up the event loop, with records and
 * events frozen; empty text reads as an empty manifest. It is read-only: `register` and `appendEvent` throw a
 * `manifest-read-only` BakeError, and `reload` has nothing to re-read.
 */
export async function manifestFromText(
  text: string | Uint8Array,
  options: TextOptions = {},
): Promise<Manifest> {
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : Buffer.from(text);
  const name = options.name ?? "(text)";
  const verifier = options.verify ? new ChainVerifier() : undefined;
  const loaded = emptyLoaded();
  await indexBytes(loaded, bytes, name, verifier ? { verifier } : {});
  return new TextManifest(name, bytes, loaded, verifier ? { intact: true } : undefined);
}

class TextManifest extends IndexedManifest implements Manifest {
  constructor(
    readonly path: string,
    private readonly bytes: Buffer,
    private readonly loaded: Loaded,
    private checked: Integrity | undefined,
  ) {
    super();
  }

  protected override state(): ManifestState {
    return this.loaded.state;
  }

  header(): ManifestHeader | undefined {
    return this.loaded.header;
  }

  history(options?: HistoryOptions): LineageHistory[] {
    return buildHistory(this.loaded.state, options);
  }

  integrity(): Integrity {
    if (!this.checked) {
      // The chain of the lines, a whole last one without its newline included; a torn last line is told apart, by
      // tornTail.
      const verifier = new ChainVerifier();
      const end = this.loaded.unterminated ? this.bytes.length : this.loaded.completeEnd;
      for (let start = 0; start < end; ) {
        const newline = this.bytes.indexOf(0x0a, start);
        const lineEnd = newline < 0 ? end : newline;
        if (verifier.push(this.bytes.subarray(start, lineEnd))) break;
        start = lineEnd + 1;
      }
      const problem = verifier.finish();
      this.checked = problem ? { intact: false, problem } : { intact: true };
    }
    return this.checked;
  }

  tornTail(): TornTail | undefined {
    return this.loaded.torn;
  }

  async reload(): Promise<void> {
    // Text has no source to read again.
  }

  register(): Promise<ImageRecord> {
    return Promise.reject(this.readOnly("register a record"));
  }

  appendEvent(): Promise<ManifestEvent> {
    return Promise.reject(this.readOnly("append an event"));
  }

  private readOnly(what: string): BakeError {
    return new BakeError({
      code: "manifest-read-only",
      message: `cannot ${what}: ${this.path} was opened from text, which is read-only`,
      hint: "open the manifest itself with openManifest(path) to write to it",
    });
  }
}
