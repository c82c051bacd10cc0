// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell `${vars.NAME}` literally
import { describe, expect, test } from "vitest";
import { idSpecProblem, MAX_ID, parseId } from "../../src/recipe/ids.js";
import { validateRecipe } from "../../src/recipe/validate-recipe.js";

const file = "/tmp/bake-ids/recipe.yaml";
const head = "apiVersion: bake/v1\nname: web\nfrom: scratch\n";

function errorsOf(text: string) {
  const result = validateRecipe(head + text, { file, checkFiles: false });
  return result.errors.map((e) => [e.code, e.location?.line, e.location?.col, e.message]);
}

describe("uids and gids", () => {
  test("parses ids from 0 to 2^32 - 2, and nothing the kernel cannot hold", () => {
    expect(parseId("0")).toBe(0);
    expect(parseId("1000")).toBe(1000);
    expect(parseId(String(MAX_ID))).toBe(4_294_967_294);
    expect(parseId("4294967295")).toBeUndefined(); // (uid_t)-1: "no change" to chown and setuid
    expect(parseId("4294967296")).toBeUndefined(); // wraps to 0
    expect(parseId("99999999999")).toBeUndefined();
    expect(parseId("")).toBeUndefined();
    expect(parseId("-1")).toBeUndefined();
    expect(parseId("app")).toBeUndefined();
  });

  test("checks the numeric parts of user, user:group, uid and uid:gid, and leaves names to the image", () => {
    expect(idSpecProblem("app", { field: "user" })).toBeUndefined();
    expect(idSpecProblem("app:staff", { field: "user" })).toBeUndefined();
    expect(idSpecProblem("1000:4294967294", { field: "owner" })).toBeUndefined();
    expect(idSpecProblem("4294967296", { field: "user" })?.message).toBe(
      'uid 4294967296 in user "4294967296" is out of range: a uid is a whole number from 0 to 4294967294',
    );
    expect(idSpecProblem("app:4294967295", { field: "user" })).toMatchObject({
      code: "out-of-range",
      message: expect.stringContaining("gid 4294967295"),
      hint: expect.stringContaining('"no change"'),
    });
  });

  test("refuses a step user beyond 32 bits at its line and column, the wrap to root included", () => {
    expect(
      errorsOf('layers:\n  - name: app\n    steps:\n      - run: id -u\n        user: "4294967296"\n'),
    ).toEqual([
      [
        "out-of-range",
        8,
        15,
        'uid 4294967296 in user "4294967296" is out of range: a uid is a whole number from 0 to 4294967294',
      ],
    ]);
  });

  test("refuses out-of-range ids in every place a uid or gid is written", () => {
    const errors = errorsOf(
      [
        "config: { user: '1:4294967295' }",
        "layers:",
        "  - name: app",
        "    steps:",
        "      - run: id",
        '        user: "99999999999:0"',
        '      - copy: { from: dist, to: /opt/, owner: "0:4294967296" }',
        '      - file: { path: /a, content: x, owner: "4294967295" }',
        "verify:",
        "  - run: id",
        '    user: "app:5000000000"',
        "",
      ].join("\n"),
    );
    expect(errors.map(([code, line, col]) => [code, line, col])).toEqual([
      ["out-of-range", 4, 17],
      ["out-of-range", 9, 15],
      ["out-of-range", 10, 47],
      ["out-of-range", 11, 46],
      ["out-of-range", 14, 11],
    ]);
  });

  test("accepts the largest uid and gid, and leaves a user from a variable to the compiler", () => {
    expect(
      errorsOf(
        'vars:\n  u: { default: "4294967296" }\nconfig: { user: "4294967294:4294967294" }\nlayers:\n  - name: app\n    steps:\n      - run: id\n        user: "${vars.u}"\n',
      ),
    ).toEqual([]);
  });
});
