import { fencedBlocks, readMarkdown, section } from './markdown.js';

/** The README's quick start: the files it has the reader save, and its shell blocks in order. */
export interface QuickStart {
  /** Blocks named after their file (```json campaign.json), by file name. */
  files: Record<string, string>;
  /** The ```sh blocks, in order. */
  shell: string[];
  /** The ```text blocks and unnamed ```json blocks: output and answers the README shows. */
  shown: string[];
}

export function readQuickStart(readme = readMarkdown('README.md')): QuickStart {
  const quickStart: QuickStart = { files: {}, shell: [], shown: [] };
  for (const block of fencedBlocks(section(readme, '## Quick start'))) {
    if (block.name) quickStart.files[block.name] = block.content;
    else if (block.lang === 'sh') quickStart.shell.push(block.content);
    else if (block.lang === 'text' || block.lang === 'json') quickStart.shown.push(block.content);
  }
  return quickStart;
}
