import { readFileSync } from 'node:fs';

/** A fenced code block: ```<lang> [<name>] on its opening line, e.g. ```js dialer.mjs. */
export interface FencedBlock {
  lang: string;
  /** The file name after the language, when the block is a file the reader saves. */
  name: string | undefined;
  content: string;
}

const FENCE = /^```(\S*)(?:[ \t]+(\S+))?[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;

export function fencedBlocks(markdown: string): FencedBlock[] {
  return [...markdown.matchAll(FENCE)].map(([, lang, name, content]) => ({ lang: lang!, name, content: content! }));
}

/**
 * The text of the section under `heading` (e.g. "## Quick start"), up to the next heading of the
 * same or a higher level; lines inside code blocks are never headings.
 */
export function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const level = heading.indexOf(' ');
  let inFence = false;
  let start = -1;
  for (const [index, line] of lines.entries()) {
    if (line.startsWith('```')) inFence = !inFence;
    if (inFence) continue;
    if (start === -1) {
      if (line === heading) start = index;
      continue;
    }
    const hashes = /^(#+) /.exec(line)?.[1]?.length;
    if (hashes !== undefined && hashes <= level) return lines.slice(start, index).join('\n');
  }
  if (start === -1) throw new Error(`no "${heading}" section`);
  return lines.slice(start).join('\n');
}

export const readMarkdown = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
