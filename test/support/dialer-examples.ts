import { fencedBlocks, readMarkdown } from './markdown.js';

/**
 * The worked examples of docs/dialers.md, parsed from its code blocks: ```http blocks are
 * requests (`POST <path> HTTP/1.1`, headers, blank line, JSON body) or answers to the request
 * before them (`HTTP/1.1 <status> <reason>`, blank line, JSON body); ```json blocks are job data;
 * blocks named after their language (```js dialer-http.mjs) are whole programs.
 */

export interface ExampleAnswer {
  status: number;
  body: unknown;
}

export interface ExampleRequest {
  method: string;
  path: string;
  /** The path with every uuid replaced by `{id}`, e.g. `/calls/{id}/claim`. */
  route: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  answers: ExampleAnswer[];
}

export interface DialerExamples {
  requests: ExampleRequest[];
  jobData: Array<Record<string, unknown>>;
  /** Named programs, by file name. */
  programs: Record<string, string>;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

function splitMessage(text: string): { head: string[]; body: unknown } {
  const blank = text.indexOf('\n\n');
  const head = (blank === -1 ? text : text.slice(0, blank)).split('\n');
  const rawBody = blank === -1 ? '' : text.slice(blank + 2).trim();
  return { head, body: rawBody === '' ? undefined : JSON.parse(rawBody) };
}

export function readDialerExamples(path = 'docs/dialers.md'): DialerExamples {
  const requests: ExampleRequest[] = [];
  const jobData: Array<Record<string, unknown>> = [];
  const programs: Record<string, string> = {};
  for (const { lang, name, content } of fencedBlocks(readMarkdown(path))) {
    const text = content.trim();
    if (name) {
      programs[name] = content;
    } else if (lang === 'json') {
      jobData.push(JSON.parse(text) as Record<string, unknown>);
    } else if (lang === 'http') {
      const { head, body } = splitMessage(text);
      const [first, ...headerLines] = head;
      const answer = first!.match(/^HTTP\/1\.1 (\d{3}) /);
      if (answer) {
        const request = requests.at(-1);
        if (!request) throw new Error(`${path}: an answer before any request: ${first}`);
        request.answers.push({ status: Number(answer[1]), body });
        continue;
      }
      const line = first!.match(/^(GET|POST|PUT|PATCH|DELETE) (\/\S*) HTTP\/1\.1$/);
      if (!line) throw new Error(`${path}: an http block is neither a request nor an answer: ${first}`);
      const headers = Object.fromEntries(
        headerLines.map((header) => {
          const colon = header.indexOf(':');
          return [header.slice(0, colon), header.slice(colon + 1).trim()];
        }),
      );
      requests.push({
        method: line[1]!,
        path: line[2]!,
        route: line[2]!.replace(UUID, '{id}'),
        headers,
        body: body as Record<string, unknown>,
        answers: [],
      });
    }
  }
  return { requests, jobData, programs };
}
