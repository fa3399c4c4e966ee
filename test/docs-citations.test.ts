import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fencedBlocks } from './support/markdown.js';

/**
 * Every citation a reader may follow leads somewhere. The rules:
 *
 * Scanned: src/**\/*.ts (not src/generated), scripts/ and bench/ sources, docs/**\/*.md, README.md,
 * ARCHITECTURE.md, RELIABILITY.md and bench/README.md.
 *
 * 1. A relative Markdown link `[text](path#anchor)` must name a file or folder that exists,
 *    relative to the document; an anchor into a Markdown file must be one of its headings (as
 *    GitHub makes them: lower case, punctuation dropped, spaces as hyphens). Links with a scheme
 *    (https:, mailto:) are not followed.
 * 2. A repository path, a token starting with src/, test/, docs/, bench/, scripts/, prisma/ or
 *    .ci/, must exist (relative to the repository's root). The path ends at the first character
 *    that cannot be part of one, so a glob (`test/faults/**`) or a placeholder
 *    (`prisma/migrations/<name>/`) is checked up to its fixed part.
 * 3. A file name in inline code with a folder and an extension (`domain/goal.ts`) must exist
 *    relative to the repository's root, to src/ (ARCHITECTURE.md names modules from there), or to
 *    the document.
 * 4. A Markdown file name (`NOTES.md`) must exist at the root, in docs/, or beside the citing file.
 *
 * Allowed without existing: what the build and the tools write (dist/, src/generated/,
 * bench/results/, node_modules/), and the reader's own files, which are the code blocks named
 * after a file (```js dialer.mjs) and the files those blocks save (they are not in the repository).
 *
 * Words that point at nothing a reader can open never appear: `PRODUCT.md`, `issue <number>`,
 * `the seed`, `the contract` (the execution contract is docs/execution-contract.openapi.json),
 * and, in documents, `session`.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GENERATED = ['dist/', 'sdk/dist/', 'src/generated/', 'bench/results/', 'node_modules/'];

function walk(dir: string, keep: (path: string) => boolean): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!GENERATED.some((prefix) => `${path}/`.startsWith(prefix))) found.push(...walk(path, keep));
    } else if (keep(path)) found.push(path);
  }
  return found;
}

const sources = [
  ...walk('src', (path) => path.endsWith('.ts')),
  ...walk('scripts', (path) => path.endsWith('.ts')),
  ...walk('bench', (path) => path.endsWith('.ts')),
];
const documents = ['README.md', 'ARCHITECTURE.md', 'RELIABILITY.md', 'bench/README.md', ...walk('docs', (path) => path.endsWith('.md'))];

const exists = (path: string) => existsSync(join(ROOT, path));
const isGenerated = (path: string) => GENERATED.some((prefix) => path === prefix.slice(0, -1) || path.startsWith(prefix));

/** The reader's own files: every code block named after a file, in any document. */
const readersFiles = new Set(documents.flatMap((document) => fencedBlocks(readFileSync(join(ROOT, document), 'utf8')).flatMap((block) => block.name ?? [])));

/** GitHub's anchors of a Markdown file's headings. */
function anchorsOf(path: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of readFileSync(join(ROOT, path), 'utf8').split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    const heading = !inFence && /^#{1,6} (.+)$/.exec(line)?.[1];
    if (!heading) continue;
    const slug = heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Markdown text without its fenced code blocks (their content is code, not citations). */
const prose = (text: string) => text.replace(/^```[^\n]*\n[\s\S]*?^```[ \t]*$/gm, '');

const trimPath = (token: string) => token.replace(/[.,:;)]+$/, '');

/** Every broken citation of one file, as `file: what`. */
function brokenCitations(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const isDocument = file.endsWith('.md');
  const body = isDocument ? prose(text) : text;
  const here = dirname(file);
  const broken: string[] = [];
  const fail = (what: string) => broken.push(`${file}: ${what}`);

  if (isDocument) {
    for (const [, target] of body.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue;
      const [pathPart, anchor] = target!.split('#') as [string, string | undefined];
      const path = pathPart === '' ? file : normalize(join(here, pathPart));
      if (!exists(path)) {
        fail(`link (${target}) names ${path}, which does not exist`);
        continue;
      }
      if (anchor && path.endsWith('.md') && !anchorsOf(path).has(anchor)) fail(`link (${target}): ${path} has no heading #${anchor}`);
    }
  }

  // Link targets were checked above.
  const cited = isDocument ? body.replace(/\]\([^)\s]+\)/g, ']()') : body;
  for (const match of cited.matchAll(/(?<![\w./@-])((?:src|test|docs|bench|scripts|prisma|\.ci)\/[\w./-]*)/g)) {
    const path = trimPath(match[1]!);
    if (isGenerated(path) || exists(path)) continue;
    fail(`${path} does not exist`);
  }

  for (const [, token] of cited.matchAll(/`([\w.-]+(?:\/[\w.-]+)+\.(?:ts|js|mjs|json|md|sql|prisma|yml|toml))`/g)) {
    const path = token!;
    if (isGenerated(path)) continue;
    if ([path, join('src', path), join(here, path)].some(exists)) continue;
    fail(`\`${path}\` does not exist`);
  }

  for (const match of cited.matchAll(/(?<![\w/.-])([\w-]+\.md)\b/g)) {
    const name = match[1]!;
    if (readersFiles.has(name)) continue;
    if ([name, join('docs', name), join(here, name)].some(exists)) continue;
    fail(`${name} does not exist`);
  }

  const banned: Array<[RegExp, string]> = [
    [/(?<![\w/.-])PRODUCT\.md/, 'PRODUCT.md'],
    [/\bissues? #?\d+/i, 'an issue number'],
    [/\bthe seed\b/i, '"the seed"'],
    [/\bthe contract\b/i, '"the contract" (name the execution contract, docs/execution-contract.openapi.json)'],
    ...(isDocument ? ([[/\bsessions?\b/i, '"session"']] as Array<[RegExp, string]>) : []),
  ];
  for (const [pattern, what] of banned) {
    for (const [index, line] of text.split('\n').entries()) if (pattern.test(line)) fail(`line ${index + 1} cites ${what}`);
  }
  return [...new Set(broken)];
}

describe('citations in the sources and the documentation', () => {
  it('scans the files it should', () => {
    expect(sources).toContain('src/domain/lifecycle.ts');
    expect(sources.some((path) => path.startsWith('src/generated/'))).toBe(false);
    expect(documents).toEqual(expect.arrayContaining(['README.md', 'docs/product.md', 'docs/api.md', 'bench/README.md']));
  });

  it('every cited path, Markdown file and heading exists, and no citation points at nothing', () => {
    const broken = [...sources, ...documents].flatMap(brokenCitations);
    expect(broken, broken.join('\n')).toEqual([]);
  });

  it('docs/product.md has every section that code comments cite', () => {
    const headings = new Set(
      readFileSync(join(ROOT, 'docs/product.md'), 'utf8')
        .split('\n')
        .flatMap((line) => /^## (.+)$/.exec(line)?.[1] ?? []),
    );
    const cited = new Set<string>();
    for (const file of [...sources, ...walk('test', (path) => path.endsWith('.ts'))]) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      // `(docs/product.md, "Lifecycle" guard, "Compliance and pacing")`: the quoted names up to the parenthesis or the line's end.
      for (const [, after] of text.matchAll(/docs\/product\.md([^)\n]*)/g)) {
        for (const [, name] of after!.matchAll(/"([^"]+)"/g)) cited.add(name!);
      }
    }
    expect(cited.size).toBeGreaterThan(0);
    expect([...cited].filter((name) => !headings.has(name))).toEqual([]);
  });

  it('docs/configuration.md and .env.example name every variable of src/config.ts', () => {
    const config = readFileSync(join(ROOT, 'src/config.ts'), 'utf8');
    const schema = config.slice(config.indexOf('const envSchema'), config.indexOf('.superRefine('));
    const variables = [...schema.matchAll(/^\s{4}([A-Z][A-Z0-9_]+):/gm)].map((match) => match[1]!);
    expect(variables).toContain('DATABASE_URL');
    const configuration = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    expect(variables.filter((name) => !configuration.includes(`\`${name}\``))).toEqual([]);
    // The renamed variable is refused, not configured.
    expect(variables.filter((name) => name !== 'CALL_OUTCOME_TIMEOUT' && !new RegExp(`^# ${name}=`, 'm').test(example))).toEqual([]);
  });
});
