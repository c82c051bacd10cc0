import { nearest } from "../../util/nearest.js";
import { type Rule, report } from "./context.js";

const LINEAGE_REF = /^[a-z]([-a-z0-9]{0,37}[a-z0-9])?(@[A-Za-z0-9][A-Za-z0-9._-]*|#[1-9][0-9]*)?$/;
const SCHEMES = ["oci-archive", "docker-archive", "dir", "gce", "docker"];
const FORMS =
  "a lineage (`name`, `name@channel`, `name@version`, `name#build`) or an external image: `scratch`, `host`, `oci-archive:PATH`, `docker-archive:PATH`, `dir:PATH`, `gce:IMAGE`, `docker://IMAGE`";

/** `from` is a lineage reference or an external reference bake knows. */
export const parentReference: Rule = (ctx) => {
  const from = ctx.recipe.from;
  if (from.includes("${")) return; // checked again once variables are known, at compile time
  if (from === "scratch" || from === "host" || LINEAGE_REF.test(from)) return;
  const scheme = /^([a-z][a-z0-9+.-]*):(\/\/)?(.*)$/s.exec(from);
  if (scheme && SCHEMES.includes(scheme[1] ?? "")) {
    const rest = scheme[3] ?? "";
    const isDocker = scheme[1] === "docker";
    // A docker pin must be a whole sha256 digest: a short one would fail only at build time.
    const pin = isDocker && rest.includes("@") ? rest.slice(rest.indexOf("@") + 1) : undefined;
    const wellFormed =
      /^\S+$/.test(rest) &&
      (isDocker ? scheme[2] === "//" : scheme[2] === undefined) &&
      (pin === undefined || /^sha256:[0-9a-f]{64}$/.test(pin));
    if (wellFormed) return;
    report(
      ctx,
      "error",
      { path: ["from"] },
      {
        code: "parent-invalid",
        message: `\`from\` "${from}" is not a valid ${scheme[1]} reference`,
        hint: isDocker
          ? "write it as docker://IMAGE:TAG or docker://IMAGE@sha256:<64 hex digits>, such as docker://debian:12-slim"
          : `write it as ${scheme[1]}:PATH or ${scheme[1]}:NAME, with no spaces`,
      },
    );
    return;
  }
  const guess = scheme ? nearest(scheme[1] ?? "", SCHEMES) : undefined;
  const dockerLike = /^[a-z0-9][\w./-]*(:[\w.-]+)?$/i.test(from);
  const suggestion = guess
    ? `did you mean \`${guess}:\`? `
    : dockerLike
      ? `did you mean docker://${from}? `
      : "";
  report(
    ctx,
    "error",
    { path: ["from"] },
    {
      code: "parent-invalid",
      message: `\`from\` "${from}" is not a lineage or an external image reference`,
      hint: `${suggestion}\`from\` takes ${FORMS}`,
    },
  );
};
