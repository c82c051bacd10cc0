import { createHash, randomBytes } from "node:crypto";
import { renameSync, rmSync } from "node:fs";
import { homedir, hostname } from "node:os";
import { dirname, join } from "node:path";
import { BakeError } from "../../errors.js";
import { makeDirectories } from "../../util/make-directories.js";
import { printable } from "../../util/printable.js";
import { git, remoteError } from "./git-cli.js";
import {
  commitMessage,
  type GitObject,
  LAYOUT,
  LAYOUT_FILE,
  parseTree,
  SEGMENT_DIR,
  SEGMENT_LINES,
  segmentName,
  splitLines,
} from "./git-layout.js";
import type { LineStore, StoreAppend, StoreRead, StoreTip } from "./line-store.js";

export { SEGMENT_LINES } from "./git-layout.js";

/** Options for {@link GitStore}. */
export interface GitStoreOptions {
  /** The remote as git takes it: `file:///srv/lineage.git`, `ssh://...`, `https://...`. */
  remote: string;
  branch: string;
  display: string;
  /** Where bake keeps its private bare repositories. @default $BAKE_CACHE_DIR/git, else ~/.cache/bake/git */
  cacheDir?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

interface TipState {
  commit: string;
  count: number;
  /** segment file name -> blob id */
  segments: Map<string, string>;
  /** The lines of the last segment. */
  lastSegment: string[];
}

/**
 * A lineage on a branch of a git remote. Lines live in segment files `lineage/000000.jsonl`, ... of
 * {@link SEGMENT_LINES} lines each, so a write hashes one small file and two small trees. Writes are plumbing in a
 * private bare repository (hash-object, mktree, commit-tree) and a push of a fast-forward: the remote's refusal of
 * a non-fast-forward is the compare-and-swap. Reads fetch the branch, so only new objects travel.
 */
export class GitStore implements LineStore {
  readonly kind = "git";
  readonly display: string;
  private readonly gitDir: string;
  // A ref of our own, so concurrent bake processes sharing the cache never fight over one ref lock.
  private readonly ref = `refs/bake/readers/${process.pid}-${randomBytes(4).toString("hex")}`;
  private tip: TipState | undefined;
  private layoutBlob: string | undefined;

  constructor(private readonly options: GitStoreOptions) {
    this.display = options.display;
    const env = options.env ?? process.env;
    const base =
      options.cacheDir ??
      (env.BAKE_CACHE_DIR ? join(env.BAKE_CACHE_DIR, "git") : join(homedir(), ".cache", "bake", "git"));
    const key = createHash("sha256")
      .update(`${options.remote}\n${options.branch}`)
      .digest("hex")
      .slice(0, 16);
    this.gitDir = join(base, `${key}.git`);
  }

  async read(from: number): Promise<StoreRead> {
    await this.ensureRepo();
    const fetched = await git(
      this.gitDir,
      [
        "fetch",
        "--quiet",
        "--no-tags",
        "--no-write-fetch-head",
        this.options.remote,
        `+refs/heads/${this.options.branch}:${this.ref}`,
      ],
      { allowFailure: true },
    );
    if (fetched.exitCode !== 0) {
      if (/couldn't find remote ref/i.test(fetched.stderr)) {
        this.tip = undefined;
        return { lines: [], tip: { count: 0, token: "" } };
      }
      throw remoteError(fetched.stderr, this.display, "fetch");
    }
    const state = await this.stateAt(this.ref);
    if (this.tip && state.commit !== this.tip.commit) await this.refuseRewrite(this.tip.commit, state.commit);
    await this.keepTip(state.commit);
    this.tip = state;
    const commit = state.commit;
    const first = Math.floor(from / SEGMENT_LINES);
    const names = [...state.segments.keys()].sort().slice(first);
    const lastName = names[names.length - 1];
    const blobs = await this.readBlobs(
      names.filter((name) => name !== lastName).map((name) => state.segments.get(name) as string),
    );
    const lines: string[] = [];
    for (const blob of blobs) lines.push(...splitLines(blob));
    if (lastName !== undefined) lines.push(...state.lastSegment);
    return { lines: lines.slice(from - first * SEGMENT_LINES), tip: { count: state.count, token: commit } };
  }

  async append(lines: readonly string[], expected: StoreTip): Promise<StoreAppend> {
    await this.ensureRepo();
    const base =
      expected.token === ""
        ? undefined
        : expected.token === this.tip?.commit
          ? this.tip
          : await this.stateAt(expected.token);
    const segments = new Map(base?.segments ?? []);
    let lastSegment = [...(base?.lastSegment ?? [])];
    let position = expected.count;
    const touched = new Map<string, string[]>();
    for (const line of lines) {
      if (position % SEGMENT_LINES === 0 && position > 0) lastSegment = [];
      lastSegment.push(line);
      touched.set(segmentName(Math.floor(position / SEGMENT_LINES)), lastSegment);
      position += 1;
    }
    for (const [name, content] of touched) {
      segments.set(name, await this.writeBlob(content.map((line) => `${line}\n`).join("")));
    }
    this.layoutBlob ??= await this.writeBlob(LAYOUT);
    const segmentTree = await this.mktree(
      [...segments].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, oid]) => `100644 blob ${oid}\t${name}`),
    );
    const root = await this.mktree([
      `100644 blob ${this.layoutBlob}\t${LAYOUT_FILE}`,
      `040000 tree ${segmentTree}\t${SEGMENT_DIR}`,
    ]);
    const parents = base ? ["-p", base.commit] : [];
    const commit = (
      await git(this.gitDir, ["commit-tree", root, ...parents, "-F", "-"], {
        input: `${commitMessage(lines)}\n`,
      })
    ).stdout.trim();
    const pushed = await git(
      this.gitDir,
      ["push", "--porcelain", "--quiet", this.options.remote, `${commit}:refs/heads/${this.options.branch}`],
      { allowFailure: true },
    );
    if (pushed.exitCode !== 0) {
      const status = pushed.stdout.split("\n").find((line) => line.startsWith("!"));
      // A plain rejection is a non-fast-forward; "failed to update ref" / "cannot lock ref" is another push
      // landing at the same instant. Both mean someone else appended first.
      if (
        status &&
        (/\[rejected\]/.test(status) ||
          /failed to update ref|cannot lock ref|incorrect old value/.test(status))
      ) {
        return {
          ok: false,
          reason: "conflict",
          message: `the branch moved on: ${printable(status.split("\t").pop() ?? "")}`,
        };
      }
      if (status && /\[remote rejected\]/.test(status)) {
        return {
          ok: false,
          reason: "refused",
          message: `the remote refused the push: ${printable(status.split("\t").pop() ?? "")}`,
        };
      }
      throw remoteError(pushed.stderr || pushed.stdout, this.display, "push");
    }
    const count = expected.count + lines.length;
    // refs/bake/tip is left where the last fetch put it: the next fetch offers that, and downloads little more.
    this.tip = { commit, count, segments, lastSegment };
    return { ok: true, tip: { count, token: commit } };
  }

  async witness(tip: StoreTip): Promise<string> {
    return tip.token;
  }

  // The commit the cache was taken at must still be in the branch's history (not force-pushed away), and no line it
  // held may differ at the tip: every segment it held whole has the same blob, and its last segment is a prefix of
  // the tip's (a descendant commit that edits an old segment fails here). The private repository keeps objects
  // across processes; a commit it no longer has fails the check, safely.
  async stillHolds(witness: string): Promise<boolean> {
    const tip = this.tip;
    if (!tip || !/^[0-9a-f]{40,64}$/.test(witness)) return false;
    if (witness === tip.commit) return true;
    const ancestor = await git(this.gitDir, ["merge-base", "--is-ancestor", witness, tip.commit], {
      allowFailure: true,
    });
    if (ancestor.exitCode !== 0) return false;
    const [tree] = await this.readObjects([`${witness}:${SEGMENT_DIR}`]);
    if (tree?.type !== "tree") return false;
    const held = parseTree(tree.data);
    const names = [...held.keys()].sort();
    const last = names[names.length - 1];
    for (const name of names) {
      if (name !== last && held.get(name) !== tip.segments.get(name)) return false;
    }
    if (last === undefined) return true;
    const before = held.get(last) as string;
    const now = tip.segments.get(last);
    if (now === undefined) return false;
    if (now === before) return true;
    const [old, current] = await this.readBlobs([before, now]);
    return old !== undefined && current?.startsWith(old) === true;
  }

  async describe(): Promise<Record<string, string | number>> {
    // A store opened only to be described has read nothing yet: fetch the branch to know its tip (reading no lines).
    if (this.tip === undefined) await this.read(Number.MAX_SAFE_INTEGER);
    return {
      remote: this.options.remote,
      branch: this.options.branch,
      layout: `segments of ${SEGMENT_LINES} lines under ${SEGMENT_DIR}/`,
      tip: this.tip?.commit ?? "(no branch yet)",
      cache: this.gitDir,
    };
  }

  async close(): Promise<void> {}

  // The branch only ever moves forward: a tip that no longer has the one we read in its history was force-pushed,
  // and lines this process verified (and builds on) may have been edited or dropped.
  private async refuseRewrite(known: string, fetched: string): Promise<void> {
    const check = await git(this.gitDir, ["merge-base", "--is-ancestor", known, fetched], {
      allowFailure: true,
    });
    if (check.exitCode === 1) {
      throw new BakeError({
        code: "store-rewritten",
        message: `${this.display} was rewritten: its tip ${fetched.slice(0, 12)} no longer descends from ${known.slice(0, 12)}, which this process read`,
        hint: "a lineage branch is append-only: find who force-pushed it, restore the old tip (`git reflog` on the remote, or any clone), then run `bake fsck --manifest ...`",
      });
    }
  }

  // Moves the shared ref `refs/bake/tip` (what the next fetch offers the remote as already here, so only new
  // objects travel) and drops this process's own fetch ref. A lost race on the shared ref is harmless.
  private async keepTip(commit: string): Promise<void> {
    const moved = await git(this.gitDir, ["update-ref", "--stdin"], {
      input: `update refs/bake/tip ${commit}\ndelete ${this.ref}\n`,
      allowFailure: true,
    });
    if (moved.exitCode !== 0) await git(this.gitDir, ["update-ref", "-d", this.ref], { allowFailure: true });
  }

  // The segments at a commit (or a ref) and the lines of its last segment. One `cat-file --batch` reads the
  // commit, the layout file and the segment tree; a second reads the last segment, unless it is the one we hold.
  private async stateAt(revision: string): Promise<TipState> {
    const objects = await this.readObjects([
      revision,
      `${revision}:${LAYOUT_FILE}`,
      `${revision}:${SEGMENT_DIR}`,
    ]);
    const [commit, layout, tree] = objects as [GitObject, GitObject, GitObject];
    if (commit.type !== "commit") {
      throw new BakeError({ code: "store-invalid", message: `${this.display}: cannot read ${revision}` });
    }
    if (commit.oid === this.tip?.commit) return this.tip;
    if (
      layout.type === "missing" ||
      (layout.oid !== this.layoutBlob && layout.data.toString("utf8") !== LAYOUT)
    ) {
      throw new BakeError({
        code: "store-invalid",
        message: `${this.display} is not a bake lineage branch: it has no ${LAYOUT_FILE} this bake understands`,
        hint: "name a branch only bake writes to (the default is bake/lineage), or upgrade bake if a newer one wrote it",
      });
    }
    this.layoutBlob = layout.oid;
    const segments = tree.type === "tree" ? parseTree(tree.data) : new Map<string, string>();
    const names = [...segments.keys()].sort();
    names.forEach((name, index) => {
      if (name !== segmentName(index)) {
        throw new BakeError({
          code: "store-invalid",
          message: `${this.display}: segment ${segmentName(index)} is missing (found ${name})`,
        });
      }
    });
    const lastName = names[names.length - 1];
    const lastOid = lastName === undefined ? undefined : (segments.get(lastName) as string);
    const lastSegment =
      lastOid === undefined
        ? []
        : lastOid === this.tip?.segments.get(lastName as string)
          ? this.tip.lastSegment
          : splitLines((await this.readBlobs([lastOid]))[0] as string);
    return {
      commit: commit.oid,
      count: Math.max(0, names.length - 1) * SEGMENT_LINES + lastSegment.length,
      segments,
      lastSegment,
    };
  }

  // Objects by revision (`<ref>`, `<ref>:path`), raw, as `git cat-file --batch` gives them.
  private async readObjects(revisions: readonly string[]): Promise<GitObject[]> {
    const result = await git(this.gitDir, ["cat-file", "--batch"], {
      input: `${revisions.join("\n")}\n`,
      binary: true,
    });
    const out = Buffer.from(result.stdout, "latin1");
    const objects: GitObject[] = [];
    let at = 0;
    for (const _ of revisions) {
      const newline = out.indexOf(0x0a, at);
      const header = out.toString("utf8", at, newline).split(" ");
      if (header[1] === "missing" || header.length < 3) {
        objects.push({ oid: "", type: "missing", data: Buffer.alloc(0) });
        at = newline + 1;
        continue;
      }
      const size = Number(header[2]);
      objects.push({
        oid: header[0] as string,
        type: header[1] as string,
        data: out.subarray(newline + 1, newline + 1 + size),
      });
      at = newline + 1 + size + 1;
    }
    return objects;
  }

  private async readBlobs(oids: readonly string[]): Promise<string[]> {
    if (oids.length === 0) return [];
    const result = await git(this.gitDir, ["cat-file", "--batch"], { input: `${oids.join("\n")}\n` });
    const out = Buffer.from(result.stdout, "utf8");
    const blobs: string[] = [];
    let at = 0;
    for (let i = 0; i < oids.length; i++) {
      const newline = out.indexOf(0x0a, at);
      const header = out.toString("utf8", at, newline).split(" ");
      const size = Number(header[2]);
      blobs.push(out.toString("utf8", newline + 1, newline + 1 + size));
      at = newline + 1 + size + 1;
    }
    return blobs;
  }

  private async writeBlob(content: string): Promise<string> {
    return (await git(this.gitDir, ["hash-object", "-w", "--stdin"], { input: content })).stdout.trim();
  }

  private async mktree(entries: string[]): Promise<string> {
    return (await git(this.gitDir, ["mktree"], { input: `${entries.join("\n")}\n` })).stdout.trim();
  }

  // Creates the private bare repository once; made aside and renamed in, so racing processes never see half of one.
  private async ensureRepo(): Promise<void> {
    if (this.tip !== undefined || this.ready) return;
    makeDirectories(dirname(this.gitDir));
    const temp = `${this.gitDir}.new-${process.pid}-${randomBytes(4).toString("hex")}`;
    const probe = await git(this.gitDir, ["rev-parse", "--git-dir"], { allowFailure: true });
    if (probe.exitCode !== 0) {
      await git(temp, ["init", "--bare", "--quiet", temp]);
      for (const [key, value] of [
        ["gc.auto", "0"],
        ["maintenance.auto", "false"],
        ["user.name", "bake"],
        ["user.email", `bake@${hostname()}`],
      ] as const) {
        await git(temp, ["config", key, value]);
      }
      try {
        renameSync(temp, this.gitDir);
      } catch {
        // Another process made it first.
        rmSync(temp, { recursive: true, force: true });
      }
    }
    this.ready = true;
  }

  private ready = false;
}
