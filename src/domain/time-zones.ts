/**
 * Time zone names as they are stored and answered: the current IANA name of the zone a client
 * named, whatever spelling or alias it used ("europe/paris" → "Europe/Paris", "US/Pacific" →
 * "America/Los_Angeles"), so that one zone has one name everywhere.
 *
 * The runtime's ICU (behind V8's Intl) knows the zones and their aliases, matches names without
 * regard to case, and resolves an alias to its zone; but it names zones by CLDR's stable ids,
 * some of which IANA has since renamed. Those are translated below.
 */

/**
 * ICU's ids whose zone IANA renamed (CLDR's timezone.xml records the IANA name of each): every
 * name in tzdata 2025b's zone.tab that ICU 78 resolves to another id.
 */
const RENAMED_BY_IANA: Readonly<Record<string, string>> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
};

/**
 * Three-letter ids ICU takes from Java, which the tz database never had. Several resolve to a
 * zone other than the one their reader means (BST is Asia/Dhaka, AST America/Anchorage, NST
 * Pacific/Auckland, IST Asia/Kolkata): refused rather than guessed. (EST, MST and HST are tz
 * names, and stay accepted.)
 */
const ICU_ABBREVIATIONS = new Set('ACT AET AGT ART AST BET BST CAT CNT CST CTT EAT ECT IET IST JST MIT NET NST PLT PNT PRT PST SST VST'.split(' '));

/**
 * The zones of the current tz database, as ICU names them. ICU resolves every other name it
 * accepts to one of these, except the UTC aliases (to "UTC", the name ECMA-402 gives Etc/UTC),
 * the fixed offsets Etc/GMT±N, and its own ids that the tz database no longer has (SystemV/*),
 * which are refused.
 */
const CURRENT_ZONES = new Set(Intl.supportedValuesOf('timeZone'));
const FIXED_OFFSET = /^Etc\/GMT[+-]\d{1,2}$/;
const isCurrentZone = (id: string) => CURRENT_ZONES.has(id) || id === 'UTC' || FIXED_OFFSET.test(id);

/** No zone name is longer (the longest, America/Argentina/ComodRivadavia, has 32 characters). */
const MAX_NAME_LENGTH = 64;

function resolve(name: string): string | null {
  if (name.length > MAX_NAME_LENGTH || ICU_ABBREVIATIONS.has(name.toUpperCase())) return null;
  let id: string;
  try {
    id = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
  return isCurrentZone(id) ? (RENAMED_BY_IANA[id] ?? id) : null;
}

const CACHE_MAX = 4_096;
const resolved = new Map<string, string | null>();

/**
 * The current IANA name of the zone `name` names (any case, or an alias the runtime knows, even
 * one IANA has retired such as US/Pacific-New), or null when it names no zone. Answers are
 * cached, since building an Intl.DateTimeFormat is slow in bulk imports; the cache is bounded,
 * as callers choose the strings.
 */
export function canonicalTimeZone(name: string): string | null {
  let canonical = resolved.get(name);
  if (canonical === undefined) {
    canonical = resolve(name);
    if (resolved.size >= CACHE_MAX) resolved.clear();
    resolved.set(name, canonical);
  }
  return canonical;
}
