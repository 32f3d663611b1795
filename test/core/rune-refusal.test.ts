/**
 * A rune refusal becomes PERMISSION in plain words: every refusal a real Core Lightning node
 * gave the rune probes (test/fixtures/cln/rune-errors.json) names the method refused and
 * keeps the node's code and words; every other error stays NODE_ERROR.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { RpcError } from '../../packages/wire/src/index.ts';
import { runeRefusal } from '../../packages/core/src/node/rune-refusal.ts';

const { answers } = JSON.parse(readFileSync(new URL('../fixtures/cln/rune-errors.json', import.meta.url), 'utf8')) as {
  answers: Record<string, { code?: number; message?: string }>;
};

/** The real node's answers that are not about the rune: the request's shape, an unknown command. */
const NOT_RUNE = new Set(['params null', 'no id field', 'unknown method with the full rune']);

describe('rune refusals as PERMISSION', () => {
  for (const [name, answer] of Object.entries(answers)) {
    if (answer.code === undefined) continue;
    test(`${name}: ${NOT_RUNE.has(name) ? 'not a rune refusal' : 'PERMISSION naming the method'}`, () => {
      const error = runeRefusal(new RpcError('listsendpays', answer.code!, answer.message!));
      if (NOT_RUNE.has(name)) return assert.equal(error, undefined);
      assert.ok(error);
      assert.equal(error.code, 'PERMISSION');
      assert.match(error.message, /\blistsendpays\b.*\(needed to send payments\)/);
      assert.match(error.message, /see README$/);
      assert.doesNotMatch(error.message, /Invalid rune/, "the node's own words stay in data");
      assert.equal(error.nodeCode, answer.code);
      assert.deepEqual(error.data, { method: 'listsendpays', message: answer.message });
    });
  }

  test('what each kind of refusal says', () => {
    const say = (code: number, message: string, method = 'sendpay') => runeRefusal(new RpcError(method, code, message))!.message;
    assert.equal(
      say(19537, answers['invoice-only rune calling listsendpays']!.message!),
      'the rune does not permit sendpay (needed to send payments); make a rune that allows it, see README',
    );
    assert.equal(
      say(19537, answers['invoice-only rune calling getinfo']!.message!, 'getinfo'),
      "the rune does not permit getinfo (needed to read the node's name and network); make a rune that allows it, see README",
    );
    assert.match(
      say(19537, 'Invalid rune: Not permitted: method is not equal to x', 'frobnicate'),
      /^the rune does not permit frobnicate; make a rune/,
    );
    assert.match(say(19536, 'Missing rune'), /^no rune was given/);
    assert.match(say(19536, 'Invalid rune'), /^the rune is not a rune the node can read/);
    assert.match(say(19537, answers["another node's rune"]!.message!), /^the rune was not made by this node/);
    assert.match(say(19537, answers['no unique id']!.message!), /^the rune was not made by this node/);
    assert.match(say(19537, 'Invalid rune: Not authorized: Blacklisted rune'), /^the rune has been blacklisted/);
    assert.match(
      say(19537, answers['rate=1, a second call at once']!.message!),
      /^the rune's rate limit does not permit another sendpay yet/,
    );
    assert.match(say(19537, answers['time< in the past']!.message!), /^the rune has expired/);
    assert.match(say(19537, answers['id= another peer']!.message!), /^the rune is tied to another client's node id/);
    assert.equal(
      say(19537, answers['pname< an integer param over the limit']!.message!, 'invoice'),
      'the rune does not permit invoice with these parameters (parameter amount_msat is greater or equal to 1000) (needed to make invoices); see README',
    );
  });

  test('other node errors are not rune refusals', () => {
    for (const [code, message] of [
      [19536, 'Params must be object or array'],
      [19536, 'missing id field'],
      [-32601, "Unknown command 'x'"],
      [204, 'failed: WIRE_TEMPORARY_CHANNEL_FAILURE'],
      [1502, 'Not permitted: method is not equal to invoice'],
    ] as const) {
      assert.equal(runeRefusal(new RpcError('sendpay', code, message)), undefined, message);
    }
  });
});
