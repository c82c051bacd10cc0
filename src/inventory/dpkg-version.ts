/**
 * Debian version ordering (Debian Policy 5.6.12): `[epoch:]upstream[-revision]`. The epoch compares as a number;
 * upstream and revision compare piece by piece, alternating non-digit runs (compared character by character with
 * `~` before everything, even the end of the string, and letters before every other character) and digit runs
 * (compared as numbers).
 */
export function compareDpkgVersions(a: string, b: string): number {
  const left = splitVersion(a);
  const right = splitVersion(b);
  if (left.epoch !== right.epoch) return left.epoch < right.epoch ? -1 : 1;
  return comparePart(left.upstream, right.upstream) || comparePart(left.revision, right.revision);
}

interface DpkgVersion {
  epoch: bigint;
  upstream: string;
  revision: string;
}

// The epoch ends at the first colon, the revision starts after the last hyphen; dpkg reads an absent revision as "".
function splitVersion(text: string): DpkgVersion {
  let rest = text.trim();
  let epoch = 0n;
  const colon = rest.indexOf(":");
  if (colon >= 0) {
    const digits = rest.slice(0, colon);
    epoch = /^\d+$/.test(digits) ? BigInt(digits) : 0n;
    rest = rest.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf("-");
  return hyphen >= 0
    ? { epoch, upstream: rest.slice(0, hyphen), revision: rest.slice(hyphen + 1) }
    : { epoch, upstream: rest, revision: "" };
}

// The sort weight of one character of a non-digit run; 0 is the end of the run.
function order(char: string | undefined): number {
  if (char === undefined || isDigit(char)) return 0;
  if (char === "~") return -1;
  const code = char.charCodeAt(0);
  if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) return code;
  return code + 256;
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= "0" && char <= "9";
}

function comparePart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const diff = order(a[i]) - order(b[j]);
      if (diff !== 0) return diff < 0 ? -1 : 1;
      i += 1;
      j += 1;
    }
    while (a[i] === "0") i += 1;
    while (b[j] === "0") j += 1;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i += 1;
      j += 1;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff !== 0) return firstDiff < 0 ? -1 : 1;
  }
  return 0;
}
