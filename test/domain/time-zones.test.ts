import { existsSync, readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { canonicalTimeZone } from '../../src/domain/time-zones.js';

describe('canonicalTimeZone', () => {
  it.each<[string, string | null]>([
    // Current names stay as they are.
    ['Europe/Paris', 'Europe/Paris'],
    ['America/Argentina/ComodRivadavia', 'America/Argentina/Catamarca'],
    ['America/Ciudad_Juarez', 'America/Ciudad_Juarez'],
    ['Etc/GMT+5', 'Etc/GMT+5'],
    ['EST5EDT', 'America/New_York'],
    ['EST', 'America/Panama'],
    // Any case.
    ['europe/paris', 'Europe/Paris'],
    ['AMERICA/NEW_YORK', 'America/New_York'],
    // Aliases resolve to their zone, including ones the tz database dropped that the runtime keeps.
    ['US/Pacific', 'America/Los_Angeles'],
    ['US/Pacific-New', 'America/Los_Angeles'],
    ['Canada/East-Saskatchewan', 'America/Regina'],
    ['Europe/Zaporozhye', 'Europe/Kyiv'],
    ['America/Montreal', 'America/Toronto'],
    // ICU's legacy ids become the names IANA uses today.
    ['Asia/Calcutta', 'Asia/Kolkata'],
    ['Asia/Kolkata', 'Asia/Kolkata'],
    ['asia/saigon', 'Asia/Ho_Chi_Minh'],
    ['Europe/Kiev', 'Europe/Kyiv'],
    ['Europe/Kyiv', 'Europe/Kyiv'],
    ['America/Godthab', 'America/Nuuk'],
    ['Pacific/Enderbury', 'Pacific/Kanton'],
    ['America/Buenos_Aires', 'America/Argentina/Buenos_Aires'],
    // Links across countries are zones of their own (as in CLDR and ECMA-402): not merged.
    ['Europe/Amsterdam', 'Europe/Amsterdam'],
    ['Atlantic/Reykjavik', 'Atlantic/Reykjavik'],
    // UTC under every alias, named as ECMA-402 names it.
    ['UTC', 'UTC'],
    ['utc', 'UTC'],
    ['Etc/UTC', 'UTC'],
    ['GMT', 'UTC'],
    ['Etc/GMT+0', 'UTC'],
    ['Zulu', 'UTC'],
    // Not zones.
    ['Mars/Olympus', null],
    ['Europe/Paris ', null],
    [' Europe/Paris', null],
    ['Europe//Paris', null],
    ['+01:00', null],
    ['Z', null],
    ['', null],
    ['Etc/Unknown', null],
    ['Factory', null],
    ['localtime', null],
    [`Europe/${'P'.repeat(100)}`, null],
    // ICU's own ids that the tz database no longer has, or never had.
    ['SystemV/AST4', null],
    ['BST', null],
    ['bst', null],
    ['IST', null],
    ['PST', null],
    ['AST', null],
  ])('%j → %j', (name, expected) => {
    expect(canonicalTimeZone(name)).toBe(expected);
  });

  it('maps every zone the runtime lists to a name it maps to itself, and that names the same zone', () => {
    const moment = DateTime.fromISO('2026-07-01T12:00:00Z');
    for (const zone of Intl.supportedValuesOf('timeZone')) {
      const canonical = canonicalTimeZone(zone);
      expect({ zone, canonical: canonical && canonicalTimeZone(canonical) }).toEqual({ zone, canonical });
      expect({ zone, offset: moment.setZone(canonical!).offset }).toEqual({ zone, offset: moment.setZone(zone).offset });
    }
  });

  // The names of tzdata's zone.tab are the current IANA names: where the machine has them, each
  // that the runtime knows must be answered unchanged (a newer ICU that renames one more zone
  // fails here until the table learns it).
  const zoneTab = '/usr/share/zoneinfo/zone.tab';
  it.skipIf(!existsSync(zoneTab))('answers every name of zone.tab as it is', () => {
    const names = readFileSync(zoneTab, 'utf8')
      .split('\n')
      .filter((line) => line.length > 0 && !line.startsWith('#'))
      .map((line) => line.split('\t')[2]!);
    expect(names.length).toBeGreaterThan(300);
    const changed = names.filter((name) => canonicalTimeZone(name) !== null && canonicalTimeZone(name) !== name);
    expect(changed).toEqual([]);
  });
});
