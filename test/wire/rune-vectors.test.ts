/** ccan/rune's official test vectors (test/fixtures/rune-test-vectors.csv), every line. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { WireError } from '../../packages/wire/src/errors.ts';
import { fieldsFailure } from '../../packages/wire/src/rune-check.ts';
import {
  createRune,
  encodeRune,
  parseRune,
  restrictRune,
  restrictionToString,
  runeDerivationError,
  type RuneCondition,
} from '../../packages/wire/src/runes.ts';

const secret = new Uint8Array(16);
const lines = readFileSync(new URL('../fixtures/rune-test-vectors.csv', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean);

function fields(parts: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of parts) {
    const eq = part.indexOf('=');
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

describe('ccan/rune test vectors', () => {
  let current: ReturnType<typeof parseRune> | undefined;
  let counted = 0;
  for (const [n, line] of lines.entries()) {
    const [kind, ...rest] = line.split(',');
    if (kind === 'VALID') {
      const [name, hexText, base64, uniqueId, version] = rest as [string, string, string, string?, string?];
      const colon = hexText.indexOf(':');
      test(`VALID ${name}`, () => {
        const parsed = parseRune(base64);
        current = parsed;
        assert.equal(Buffer.from(parsed.authcode).toString('hex'), hexText.slice(0, colon));
        assert.equal(parsed.restrictions.map(restrictionToString).join('&'), hexText.slice(colon + 1));
        assert.equal(parsed.uniqueId, uniqueId);
        assert.equal(parsed.version, version);
        assert.equal(encodeRune(parsed), base64);
        assert.equal(createRune({ masterSecret: secret, restrictions: parsed.restrictions }), base64, 'authcode from the secret');
      });
      counted++;
    } else if (kind === 'PASS' || kind === 'FAIL') {
      test(`line ${n + 1}: ${line}`, () => {
        assert.ok(current, 'a check line follows a rune');
        const failure = fieldsFailure(current, fields(rest));
        if (kind === 'PASS') assert.equal(failure, undefined);
        else assert.equal(typeof failure, 'string');
      });
      counted++;
    } else if (kind === 'DERIVE') {
      const [name, from, to, ...triples] = rest as [string, string, string, ...string[]];
      test(`DERIVE ${name}`, () => {
        const alternatives = [];
        for (let i = 0; i < triples.length; i += 3) {
          alternatives.push({ fieldname: triples[i]!, condition: triples[i + 1] as RuneCondition, value: triples[i + 2]! });
        }
        assert.equal(restrictRune(from, [alternatives]), to);
        current = parseRune(to);
      });
      counted++;
    } else if (kind === 'MALFORMED') {
      const [name, , base64] = rest as [string, string, string];
      test(`MALFORMED ${name}`, () => {
        assert.throws(
          () => parseRune(base64),
          (e: unknown) => e instanceof WireError && e.code === 'BAD_RUNE',
        );
      });
      counted++;
    } else if (kind === 'BAD DERIVATION') {
      const [name, , base64] = rest as [string, string, string];
      test(`BAD DERIVATION ${name}`, () => {
        assert.equal(runeDerivationError(parseRune(base64), secret), 'Not derived from master');
      });
      counted++;
    }
  }
  test('every line of the file was a case', () => assert.equal(counted, lines.length));
});
