// Suffix ranks after apk-tools: pre-releases sort before the plain version, post-releases after it.
const SUFFIX_RANK: Record<string, number> = {
  alpha: 0,
  beta: 1,
  pre: 2,
  rc: 3,
  cvs: 5,
  svn: 6,
  git: 7,
  hg: 8,
  p: 9,
};
const NO_SUFFIX = 4;

interface ApkVersion {
  digits: string[];
  letter: string;
  suffixes: { rank: number; number: bigint }[];
  revision: bigint;
}

// `1.2.3b_rc1_p2-r4` (a `~hash` part, which apk orders last, is ignored: it never decides between real releases).
function parseApkVersion(text: string): ApkVersion {
  const match = /^(\d+(?:\.\d+)*)([a-z]?)((?:_[a-z]+\d*)*)(?:~[0-9a-f]+)?(?:-r(\d+))?$/.exec(text.trim());
  if (!match) return { digits: [text], letter: "", suffixes: [], revision: 0n };
  const suffixes = [...(match[3] ?? "").matchAll(/_([a-z]+)(\d*)/g)].map((part) => ({
    rank: SUFFIX_RANK[part[1] as string] ?? NO_SUFFIX,
    number: BigInt(part[2] || "0"),
  }));
  return {
    digits: (match[1] as string).split("."),
    letter: match[2] ?? "",
    suffixes,
    revision: BigInt(match[4] ?? "0"),
  };
}

/**
 * Alpine (apk) version ordering: dot-separated numbers (the first as an integer; later ones with a leading zero
 * compare as decimal fractions, as apk does), then an optional letter, then suffixes (`_alpha` < `_beta` < `_pre`
 * < `_rc` < none < `_cvs` < `_svn` < `_git` < `_hg` < `_p`), then the `-rN` package revision.
 */
export function compareApkVersions(a: string, b: string): number {
  const left = parseApkVersion(a);
  const right = parseApkVersion(b);
  const count = Math.max(left.digits.length, right.digits.length);
  for (let index = 0; index < count; index++) {
    const x = left.digits[index];
    const y = right.digits[index];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const diff = compareNumber(x, y, index === 0);
    if (diff !== 0) return diff;
  }
  if (left.letter !== right.letter) return left.letter < right.letter ? -1 : 1;
  const suffixes = Math.max(left.suffixes.length, right.suffixes.length);
  for (let index = 0; index < suffixes; index++) {
    const x = left.suffixes[index] ?? { rank: NO_SUFFIX, number: 0n };
    const y = right.suffixes[index] ?? { rank: NO_SUFFIX, number: 0n };
    if (x.rank !== y.rank) return x.rank < y.rank ? -1 : 1;
    if (x.number !== y.number) return x.number < y.number ? -1 : 1;
  }
  if (left.revision !== right.revision) return left.revision < right.revision ? -1 : 1;
  return 0;
}

function compareNumber(x: string, y: string, first: boolean): number {
  if (!/^\d+$/.test(x) || !/^\d+$/.test(y)) return x === y ? 0 : x < y ? -1 : 1;
  if (!first && (x.startsWith("0") || y.startsWith("0"))) {
    // Fractional: "01" < "1", "001" < "01", compared digit by digit.
    return x === y ? 0 : x < y ? -1 : 1;
  }
  const diff = BigInt(x) - BigInt(y);
  return diff === 0n ? 0 : diff < 0n ? -1 : 1;
}
