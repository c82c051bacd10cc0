// Loads the CLI bundle, and keeps V8's compiled code between runs for it and for every CommonJS package it
// requires, so a command does not parse and compile the same code again each time it starts. Node 22 has
// `module.enableCompileCache` for this; Node 20, bake's floor, has nothing. It matters most for the Google client,
// which takes over a second to load when compiled afresh. CommonJS on purpose, like bake.js.
//
// How the cache works: each CommonJS file is compiled with `vm.Script` and the cached data kept for it and the
// running command, if any; at exit, V8 is asked for the code of each file compiled without it (by then that includes
// the functions the command ran) and the result is written for the next run.
//
// What keeps a stale or foreign cache out:
// - An entry's name holds its file's directory (hashed), name, the command (and a hash of Node's flags, if any),
//   inode, size, modification and change times: a file rewritten in place, even at the same size and with its
//   mtime set back, has a new ctime and so a new entry. V8 checks its own version, its flags and the source length
//   on top, and compiles afresh when any differ.
// - The directory is per Node version, architecture and bundle directory, is made mode 0700, and is used only if it
//   belongs to this user and no one else can write to it: whoever can write the cache can run code as its user.
// - Entries are written to a temporary name and renamed, so a reader never sees half an entry.
// - Every failure (no home directory, a read-only disk, a rejected entry) means compiling as without a cache.
//
// Where: $BAKE_CODE_CACHE, else $XDG_CACHE_HOME/bake/code, else ~/.cache/bake/code. BAKE_CODE_CACHE=off turns it off.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
// The class behind `module`: the same as require("node:module"), which would cost loading that module.
const Module = module.constructor;

/**
 * What this loader keeps in an entry, and which files may have one. Raise it when either changes: entries written by
 * another version of the loader live in another directory and are never read.
 */
const FORMAT = 3;

/** A short, stable name for a path (FNV-1a): not a security measure, only a way to keep entries apart. */
function nameOf(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(36);
}

/** The cache directory for `bundleDir`, made if need be, or undefined when there is none this process may trust. */
function cacheDirFor(bundleDir) {
  const setting = process.env.BAKE_CODE_CACHE;
  if (setting === "off" || typeof process.getuid !== "function") return undefined;
  const cacheHome =
    process.env.XDG_CACHE_HOME || (process.env.HOME ? path.join(process.env.HOME, ".cache") : "");
  const root = setting || (cacheHome && path.join(cacheHome, "bake", "code"));
  if (!root || !path.isAbsolute(root)) return undefined;
  const dir = path.join(root, `v${FORMAT}-node${process.version}-${process.arch}-${nameOf(bundleDir)}`);
  try {
    // Made once; every later run only looks at it.
    let info = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (info === undefined) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(dir, ORIGIN), bundleDir, { mode: 0o600 });
      pruneOrphans(root, bundleDir);
      info = fs.lstatSync(dir);
    }
    if (!info.isDirectory() || info.uid !== process.getuid() || (info.mode & 0o022) !== 0) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

/** The file in each cache directory that names the bundle directory it serves. */
const ORIGIN = "origin";
const CACHE_DIR_NAME = /^v\d+-node[\w.-]+$/;

/**
 * Removes the cache directories of bundles that no longer exist (an uninstalled bake, a deleted checkout), and
 * those an older format of this loader wrote for `bundleDir`. Only directories named as this loader names them, and
 * holding an origin file, are ever touched.
 */
function pruneOrphans(root, bundleDir) {
  for (const name of fs.readdirSync(root)) {
    if (!CACHE_DIR_NAME.test(name)) continue;
    try {
      const origin = fs.readFileSync(path.join(root, name, ORIGIN), "utf8");
      const superseded = origin === bundleDir && !name.startsWith(`v${FORMAT}-`);
      if (superseded || (path.isAbsolute(origin) && !fs.existsSync(origin)))
        fs.rmSync(path.join(root, name), { recursive: true });
    } catch {
      // No origin file, or a race with another process: leave it.
    }
  }
}

/**
 * The entry name for a file as `profile` (the command) runs it: which file (its directory hashed, and its name), and
 * for which command, then after a `~` the stat fields that change whenever its content can have. The times are in
 * milliseconds with a fraction (to about a microsecond): plain stat is cheaper than a bigint one, and a rewrite
 * within the same microsecond as the last write, at the same size and inode, is not a real case.
 *
 * Why per command: an entry holds the code of the functions that had run when it was written, and is not written
 * again while it is accepted. Shared by all commands, the entry for a file that `build` loaded first would never
 * hold what `validate` runs of it, which would then be compiled afresh on every run.
 */
function entryName(filename, profile) {
  const info = fs.statSync(filename);
  const file = `${nameOf(path.dirname(filename))}-${path.basename(filename)}@${profile}`;
  return `${file}~${info.ino}-${info.size}-${info.mtimeMs}-${info.ctimeMs}`;
}

/**
 * Whether a file may call import(): `import(` anywhere but on a comment line (JSDoc's `{import('x').T}` types are on
 * comment lines). Unsure cases count as yes, which only means Node compiles that file, without the cache.
 */
function mayImport(content) {
  for (let at = content.indexOf("import("); at !== -1; at = content.indexOf("import(", at + 7)) {
    const line = content.slice(content.lastIndexOf("\n", at) + 1, at).trimStart();
    if (!line.startsWith("*") && !line.startsWith("//") && !line.startsWith("/*")) return true;
  }
  return false;
}

/** Which file, and which command, an entry is for: the part of its name before the stat fields. */
const fileOf = (entry) => entry.slice(0, entry.lastIndexOf("~"));
/**
 * The cache profile: the command word (only a plain word, so that argv cannot shape a file name), and a hash of
 * Node's own flags when there are any. V8 rejects an entry written under other flags; without them in the name,
 * runs with and without a flag would write the same entries over each other.
 */
function profileOf(command) {
  const word = /^[a-z][a-z-]{0,40}$/.test(command ?? "") ? command : "other";
  const flags = `${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`.trim();
  return flags === "" ? word : `${word}+${nameOf(flags)}`;
}

/**
 * Loads the CLI bundle's entry from `bundleDir` for `command` (argv's first word: the cache profile) and returns its
 * exports. The bundle's files each hold one or more chunks (scripts/bundle-cli.mjs). Chunks require each other by
 * relative name ("./chunk-X.cjs"); those requires go straight to the chunk's function, or to the file of that name
 * beside, without Node's resolver (which looks for a package.json above the requiring file on every call, however it
 * is written: 5 ms of a no-change build). Every CommonJS file this process compiles from then on, bundle file or
 * package, goes through the code cache when there is one.
 */
function loadBundle(bundleDir, command) {
  const cacheDir = cacheDirFor(bundleDir);
  const profile = profileOf(command);
  /** Scripts compiled without a cache entry, to write one for at exit. */
  const fresh = [];
  const nodeCompile = Module.prototype._compile;

  /** Compiles and runs a CommonJS file's `content` for `module`, as Node's own `_compile` would, through the cache. */
  function compileCached(module, content, filename) {
    let entry;
    let cached;
    if (cacheDir !== undefined) {
      try {
        entry = path.join(cacheDir, entryName(filename, profile));
        cached = fs.readFileSync(entry);
      } catch {
        // No entry yet (or the file cannot be stat'ed): compile without one.
      }
    }
    // import() in a script compiled by vm.Script needs a loader callback, which Node 20 loses when the script comes
    // from cached data ("A dynamic import callback was not specified"): a file that may call import() (gaxios does)
    // is left to Node, and so never has an entry. The chunks' own imports are all requires (bundle-cli.mjs).
    if (cached === undefined && mayImport(content)) return nodeCompile.call(module, content, filename);
    const script = new vm.Script(Module.wrap(content), { filename, cachedData: cached });
    if (entry !== undefined && (cached === undefined || script.cachedDataRejected))
      fresh.push({ script, entry });
    const run = script.runInThisContext({ displayErrors: true });
    const require = withRequireFields((id) => module.require(id), module);
    return run.call(module.exports, module.exports, require, module, filename, path.dirname(filename));
  }

  // The bundle's files each hold several chunks (scripts/bundle-cli.mjs), as functions by chunk name: a chunk is
  // run when first required, from the first file loaded that holds it.
  const chunkFunctions = new Map();
  const chunkPaths = Module._nodeModulePaths(bundleDir);

  function compileFile(content, filename) {
    compileCached(this, content, filename);
    for (const [name, run] of Object.entries(this.exports)) {
      const chunkFile = `${bundleDir}/${name}`;
      if (!chunkFunctions.has(chunkFile)) chunkFunctions.set(chunkFile, run);
    }
  }

  // As Node's own require does: one module object per chunk, in Module._cache before it runs (so a cycle between
  // chunks sees the exports made so far), and out of it again if it throws.
  function requireChunk(parent, filename) {
    const known = Module._cache[filename];
    if (known !== undefined) return known.exports;
    if (!chunkFunctions.has(filename)) {
      // A chunk not held by a file loaded so far has a file of its own.
      const file = new Module(filename, parent);
      file._compile = compileFile;
      file.load(filename);
    }
    const chunk = new Module(filename, parent);
    chunk.filename = filename;
    chunk.paths = chunkPaths;
    // "./chunk-X.cjs" names a chunk beside this one: plain concatenation is enough.
    const require = withRequireFields(
      (id) => (id.startsWith("./") ? requireChunk(chunk, bundleDir + id.slice(1)) : chunk.require(id)),
      chunk,
    );
    Module._cache[filename] = chunk;
    try {
      chunkFunctions.get(filename).call(chunk.exports, chunk.exports, require, chunk, filename, bundleDir);
    } catch (error) {
      delete Module._cache[filename];
      throw error;
    }
    chunk.loaded = true;
    return chunk.exports;
  }

  if (cacheDir !== undefined) {
    process.once("exit", () => writeEntries(cacheDir, bundleDir, fresh));
    // Packages (re2js, pg, the Google client and what they require) load through Node's resolver as usual; only
    // their compile goes through the cache. A file Node means to compile as anything but CommonJS (its third
    // argument, on Node versions that have one) is left to Node.
    Module.prototype._compile = function compilePackage(content, filename, format) {
      if (format !== undefined && format !== "commonjs")
        return nodeCompile.call(this, content, filename, format);
      return compileCached(this, content, filename);
    };
  }
  return requireChunk(module, path.join(bundleDir, "bake.cjs"));
}

/** What Node's own require function carries besides being called. */
function withRequireFields(require, module) {
  require.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
  require.main = process.mainModule;
  require.cache = Module._cache;
  return require;
}

function writeEntries(cacheDir, bundleDir, fresh) {
  if (fresh.length === 0) return;
  const written = new Set();
  for (const { script, entry } of fresh) {
    const temporary = `${entry}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
      fs.renameSync(temporary, entry);
      written.add(path.basename(entry));
    } catch {
      fs.rmSync(temporary, { force: true });
    }
  }
  // An older entry for a file just written again (a rebuild, an upgrade) is of no more use, and neither is one for
  // a chunk the bundle no longer has.
  const files = new Set([...written].map(fileOf));
  const chunkPrefix = `${nameOf(bundleDir)}-`;
  try {
    for (const name of fs.readdirSync(cacheDir)) {
      if (name.endsWith(".tmp") || name === ORIGIN || written.has(name)) continue;
      const file = fileOf(name);
      const gone =
        file.startsWith(chunkPrefix) &&
        !fs.existsSync(path.join(bundleDir, file.slice(chunkPrefix.length, file.lastIndexOf("@"))));
      if (files.has(file) || gone) fs.rmSync(path.join(cacheDir, name), { force: true });
    }
  } catch {
    // Pruning is housekeeping: leaving an entry behind costs disk space only.
  }
}

module.exports = { loadBundle };
