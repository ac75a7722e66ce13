// Every visible string exists in Vietnamese and English: each dictionary has the same keys in both, none
// empty, the same {placeholders}; and no .tsx file writes visible text outside a dictionary.
import { readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { DICTIONARIES, dictionary, fill, translate } from "../src/i18n";

const modules = import.meta.glob(["../src/**/*.{ts,tsx}", "!../src/main.tsx", "!../src/**/*.d.ts"], { eager: true });
const sources = import.meta.glob(["../src/**/*.tsx"], { eager: true, query: "?raw", import: "default" });

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("translations", () => {
  it("loads every module and finds its dictionaries", () => {
    expect(Object.keys(modules).length).toBeGreaterThan(5);
    expect(DICTIONARIES.length).toBeGreaterThanOrEqual(2);
  });

  it("has every key in both languages, none empty, with the same placeholders", () => {
    const problems: string[] = [];
    for (const dict of DICTIONARIES) {
      const vi = Object.keys(dict.vi);
      const en = Object.keys(dict.en);
      for (const key of vi) if (!en.includes(key)) problems.push(`missing in English: ${key}`);
      for (const key of en) if (!vi.includes(key)) problems.push(`missing in Vietnamese: ${key}`);
      for (const key of vi) {
        const [a, b] = [dict.vi[key] ?? "", dict.en[key] ?? ""];
        if (!a.trim() || !b.trim()) problems.push(`empty: ${key}`);
        if (placeholders(a).join() !== placeholders(b).join()) problems.push(`placeholders differ: ${key}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("catches a dictionary with a missing translation", () => {
    // The type forbids it; the check above must catch it too if a cast slips one through.
    const broken = dictionary({ a: "một", b: "hai" }, { a: "one" } as unknown as { a: string; b: string });
    expect(Object.keys(broken.en)).not.toContain("b");
    DICTIONARIES.splice(DICTIONARIES.indexOf(broken), 1);
  });

  it("fills placeholders", () => {
    expect(fill("{n} lead của {who}", { n: 3, who: "An" })).toBe("3 lead của An");
    const t = translate(dictionary({ hi: "Chào {name}" }, { hi: "Hi {name}" }), "en");
    expect(t("hi", { name: "Bình" })).toBe("Hi Bình");
    DICTIONARIES.pop();
  });
});

/** Visible text written in JSX (text nodes, and labels in attributes) instead of coming from t(...). */
function hardCodedText(file: string, source: string): string[] {
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const visible = new Set(["aria-label", "placeholder", "title", "alt", "label", "aria-description"]);
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node) && /\p{L}/u.test(node.text)) found.push(node.text.trim());
    if (
      ts.isJsxAttribute(node) &&
      visible.has(node.name.getText()) &&
      node.initializer &&
      ts.isStringLiteral(node.initializer) &&
      /\p{L}/u.test(node.initializer.text)
    )
      found.push(node.initializer.text);
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return found;
}

describe("no visible text outside a dictionary", () => {
  for (const [file, raw] of Object.entries(sources)) {
    it(file, () => expect(hardCodedText(file, String(raw))).toEqual([]));
  }
  it("the scanner itself finds hard-coded text", () => {
    const sample = "const x = <p title='Tiêu đề'>Xin chào <b>{t('x')}</b></p>;";
    expect(hardCodedText("x.tsx", sample)).toEqual(["Tiêu đề", "Xin chào"]);
  });
});

it("reads its own source files", () => {
  expect(readFileSync(new URL("../src/i18n.ts", import.meta.url), "utf8")).toContain("dictionary");
});
