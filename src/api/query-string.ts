/** A parsed query string: repeated keys collect their values in order. */
export type ParsedQuery = Record<string, string | string[]>;

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes a well-formed UTF-8 sequence starting with `lead` has, or 0 when no sequence starts so. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/**
 * UTF-8 bytes as text, each byte outside a well-formed sequence becoming a lone surrogate
 * U+DC80–U+DCFF (Python's "surrogateescape", PEP 383). A decoder that substitutes U+FFFD, as
 * TextDecoder and URLSearchParams do, would turn a malformed value into a different, valid one;
 * a lone surrogate is refused by the checks every query value goes through.
 */
function decodeUtf8Escaping(bytes: Uint8Array): string {
  let text = '';
  let index = 0;
  while (index < bytes.length) {
    const length = sequenceLength(bytes[index]!);
    let decoded: string | null = null;
    if (length > 0 && index + length <= bytes.length) {
      try {
        decoded = fatalUtf8.decode(bytes.subarray(index, index + length));
      } catch {
        // Overlong forms, encoded surrogates and bad continuation bytes: escaped one byte at a time.
      }
    }
    if (decoded === null) {
      text += String.fromCharCode(0xdc00 | bytes[index]!);
      index += 1;
    } else {
      text += decoded;
      index += length;
    }
  }
  return text;
}

const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;

/** A percent-encoded component whose bytes are not UTF-8: a `%` without two hex digits stays literal, as in WHATWG URLs. */
function decodeMalformed(component: string): string {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let index = 0; index < component.length; index++) {
    const pair = component.slice(index + 1, index + 3);
    if (component[index] === '%' && HEX_PAIR.test(pair)) {
      bytes.push(Number.parseInt(pair, 16));
      index += 2;
    } else {
      const character = String.fromCodePoint(component.codePointAt(index)!);
      bytes.push(...encoder.encode(character));
      index += character.length - 1;
    }
  }
  return decodeUtf8Escaping(Uint8Array.from(bytes));
}

function decodeComponent(raw: string): string {
  const component = raw.includes('+') ? raw.replaceAll('+', ' ') : raw;
  if (!component.includes('%')) return component;
  try {
    return decodeURIComponent(component);
  } catch {
    return decodeMalformed(component);
  }
}

/**
 * The API's query string parser: Fastify's default (fast-querystring) in every respect (`&`
 * separates pairs, the first `=` splits one, `+` is a space, a repeated key collects its values)
 * except one: a value whose percent-encoding is not UTF-8 is not kept as its raw text, where it
 * would silently be searched for or stored as those characters, but decoded so that the query
 * checks refuse it (src/api/validation.ts).
 */
export function parseQueryString(query: string): ParsedQuery {
  const result: ParsedQuery = Object.create(null);
  for (const pair of query.split('&')) {
    if (pair.length === 0) continue;
    const equals = pair.indexOf('=');
    const key = decodeComponent(equals === -1 ? pair : pair.slice(0, equals));
    const value = equals === -1 ? '' : decodeComponent(pair.slice(equals + 1));
    const previous = result[key];
    if (previous === undefined) result[key] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else result[key] = [previous, value];
  }
  return result;
}
