import { compareApkVersions } from "./apk-version.js";
import { compareDpkgVersions } from "./dpkg-version.js";
import type { Ecosystem } from "./types.js";

/** Orders two versions of one ecosystem's packages: negative, zero or positive. */
export function compareVersions(ecosystem: Ecosystem, a: string, b: string): number {
  return ecosystem === "apk" ? compareApkVersions(a, b) : compareDpkgVersions(a, b);
}
