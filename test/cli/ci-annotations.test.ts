import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escapeData, escapeProperty, formatAnnotations } from "../../src/cli/github-annotations.js";
import { ensureBuilt, runBake } from "../helpers/compiled-cli.js";

const fixtures = join(import.meta.dirname, "../fixtures/ci");

// The lines of `text` the Actions runner would take as workflow commands.
function commandLines(text: string): string[] {
  return text.split("\n").filter((line) => line.startsWith("::"));
}

// Undoes the runner's escaping of a command's message, as the runner does before showing it.
function unescapeData(text: string): string {
  return text.replaceAll("%0D", "\r").replaceAll("%0A", "\n").replaceAll("%25", "%");
}

describe("workflow command escaping", () => {
  it("percent-encodes line breaks and the percent sign in a message, so a message stays one command", () => {
    expect(escapeData("50% done\r\n::error::pwned")).toBe("50%25 done%0D%0A::error::pwned");
    expect(unescapeData(escapeData("a%0Ab\nc"))).toBe("a%0Ab\nc");
  });

  it("also encodes the colon and comma that delimit properties", () => {
    expect(escapeProperty("a,b:c%\n")).toBe("a%2Cb%3Ac%25%0A");
  });

  it("writes one command per annotation however hostile its text", () => {
    const text = formatAnnotations(
      [
        {
          level: "error",
          title: "t,itle=x::y",
          message: "line one\n::warning::injected\r\n::add-mask::x\u001b[31m",
          location: { file: "dir,x=1:2/recipe.yaml", line: 3, col: 7 },
        },
        { level: "warning", message: "plain" },
      ],
      { env: {}, cwd: "/repo" },
    );
    const lines = text.split("\n").filter((line) => line !== "");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      "::error file=dir%2Cx=1%3A2/recipe.yaml,line=3,col=7,title=t%2Citle=x%3A%3Ay::line one%0A::warning::injected\\r%0A::add-mask::x\\e[31m",
    );
    expect(lines[1]).toBe("::warning::plain");
  });

  it("names the file relative to GITHUB_WORKSPACE when it lies inside it, and as given otherwise", () => {
    const at = (file: string, workspace: string) =>
      formatAnnotations([{ level: "error", message: "m", location: { file, line: 1, col: 1 } }], {
        env: { GITHUB_WORKSPACE: workspace },
        cwd: "/w/repo/images",
      });
    expect(at("web/recipe.yaml", "/w/repo")).toContain("file=images/web/recipe.yaml,");
    expect(at("/w/repo/base/recipe.yaml", "/w/repo/")).toContain("file=base/recipe.yaml,");
    expect(at("/elsewhere/recipe.yaml", "/w/repo")).toContain("file=/elsewhere/recipe.yaml,");
  });
});

describe("annotations from the compiled CLI", () => {
  let dir: string;

  beforeAll(async () => {
    await ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), "bake-ci-annotations-"));
    await cp(fixtures, dir, { recursive: true });
    // A directory name with the `,` and `:` that delimit workflow command properties (made here, not committed,
    // so the repository checks out on every file system).
    await cp(join(fixtures, "hostile-key"), join(dir, "we,ird:dir"), { recursive: true });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const actions = () => ({ GITHUB_ACTIONS: "true", GITHUB_WORKSPACE: dir, CI: "true" });

  it("bake validate prints each recipe error as an ::error command at its file, line and column", async () => {
    const run = await runBake(["validate", "we,ird:dir/recipe.yaml"], { cwd: dir, env: actions() });
    expect(run.code).toBe(2);
    const commands = commandLines(run.stderr);
    expect(commands).toHaveLength(1);
    // Properties escape every `:`, so the first `::` after the head starts the message.
    const [, head, message] = /^(::error [^:]*)::(.*)$/s.exec(commands[0] as string) ?? [];
    expect(head).toBe("::error file=we%2Cird%3Adir/recipe.yaml,line=5,col=1,title=bake%3A unknown-key");
    // The hostile key arrives as text in one message: its `%0A` stays literal and its fake commands stay inside.
    expect(unescapeData(message as string)).toMatch(
      /^unknown key `x%0A::error::injected.*` in the recipe\nhint: /s,
    );
    // The usual text is printed too.
    expect(run.stderr).toContain("we,ird:dir/recipe.yaml:5:1: error: unknown key");
  });

  it("bake validate prints warnings as ::warning commands and still succeeds", async () => {
    const run = await runBake(["validate", "warn/recipe.yaml"], { cwd: dir, env: actions() });
    expect(run.code).toBe(0);
    expect(commandLines(run.stderr)).toEqual([
      expect.stringMatching(
        /^::warning file=warn\/recipe\.yaml,line=9,col=\d+,title=bake%3A mode-decimal::mode 644 /,
      ),
    ]);
  });

  it("bake build and bake plan annotate a recipe that does not validate, through the entry point", async () => {
    for (const command of ["build", "plan"]) {
      const run = await runBake([command, "recipe.yaml"], {
        cwd: join(dir, "we,ird:dir"),
        env: actions(),
      });
      expect(run.code).toBe(2);
      expect(commandLines(run.stderr)).toEqual([
        expect.stringMatching(
          /^::error file=we%2Cird%3Adir\/recipe\.yaml,line=5,col=1,title=bake%3A unknown-key::/,
        ),
      ]);
      expect(run.stderr).not.toContain("    at ");
    }
  });

  it("bake build annotates an error that has no recipe position with its code as the title", async () => {
    const run = await runBake(["build", "warn/recipe.yaml", "--target", "nope"], {
      cwd: dir,
      env: actions(),
    });
    expect(run.code).toBe(2);
    expect(commandLines(run.stderr)).toContainEqual(
      expect.stringMatching(/^::error title=bake build%3A [a-z-]+::.*nope/),
    );
  });

  it("bake build prints the recipe's warnings as ::warning commands and builds", async () => {
    const run = await runBake(["build", "warn/recipe.yaml"], { cwd: dir, env: actions() });
    expect(run.code).toBe(0);
    expect(commandLines(run.stderr)).toEqual([
      expect.stringMatching(/^::warning file=warn\/recipe\.yaml,line=9,col=\d+,title=bake%3A mode-decimal::/),
    ]);
  });

  it("prints no workflow commands outside GitHub Actions", async () => {
    const run = await runBake(["validate", "we,ird:dir/recipe.yaml"], {
      cwd: dir,
      env: { CI: "true" },
    });
    expect(run.code).toBe(2);
    expect(commandLines(run.stderr)).toEqual([]);
  });
});
