/**
 * HPACK (RFC 7541) against the published interoperability corpus http2jp/hpack-test-case
 * (a subset, copied unchanged into test/fixtures/reference/hpack-test-case/, see its
 * README.md). Two checks, as the corpus's README describes them:
 * - decoder: for every story of six other encoders (nghttp2 three ways, node-http2-hpack,
 *   python-hpack, swift-nio-http2), one decoder per story decodes every case's `wire`, in
 *   order and sharing the dynamic table, to exactly the case's headers in order; the stories
 *   use Huffman strings, the dynamic table, and table size changes (`header_table_size`);
 * - encoder: every header list of the raw stories, encoded by our encoder (with and without
 *   Huffman), decodes back to the same list.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fromHex, textEncoder } from '../../packages/wire/src/bytes.ts';
import { HpackDecoder, HpackEncoder, type HeaderField } from '../../packages/wire/src/lnc/hpack.ts';

const corpus = new URL('../fixtures/reference/hpack-test-case/', import.meta.url);

interface Story {
  cases: {
    seqno?: number;
    wire?: string;
    headers: Record<string, string>[];
    /** SETTINGS_HEADER_TABLE_SIZE sent and acknowledged just before this case; 4096 until one is given. */
    header_table_size?: number | null;
  }[];
}

function stories(dir: string): { name: string; story: Story }[] {
  const url = new URL(`${dir}/`, corpus);
  return readdirSync(url)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => ({ name, story: JSON.parse(readFileSync(new URL(name, url), 'utf8')) as Story }));
}

/**
 * A case's headers as our decoder returns them: one character per octet. The JSON holds
 * text; its octets on the wire are UTF-8 (the chosen stories are ASCII, where the two agree).
 */
function fieldsOf(headers: Record<string, string>[]): HeaderField[] {
  const octets = (text: string) => String.fromCharCode(...textEncoder.encode(text));
  return headers.map((header) => {
    const entries = Object.entries(header);
    assert.equal(entries.length, 1, 'each header object holds one field');
    const [name, value] = entries[0]!;
    return [octets(name), octets(value)];
  });
}

const ENCODERS = [
  'nghttp2',
  'nghttp2-16384-4096',
  'nghttp2-change-table-size',
  'node-http2-hpack',
  'python-hpack',
  'swift-nio-hpack-huffman',
];

describe('HPACK decoder: hpack-test-case stories of other encoders', () => {
  for (const encoder of ENCODERS) {
    test(encoder, () => {
      const all = stories(encoder);
      assert.ok(all.length >= 20, `${encoder}: expected the copied stories, found ${all.length}`);
      let cases = 0;
      let sizeChanges = 0;
      let dynamicUsed = false;
      for (const { name, story } of all) {
        // Our decoder takes its limit once, as our client advertises SETTINGS_HEADER_TABLE_SIZE
        // once; a story that announces several sizes gets the largest as that limit, and the
        // table is checked against the size in force after each case (the encoder's size
        // update must have shrunk it).
        const announced = story.cases.map((c) => c.header_table_size ?? undefined).filter((s): s is number => s !== undefined);
        const decoder = new HpackDecoder({ maxTableSize: Math.max(4096, ...announced) });
        let inForce = 4096;
        for (const [i, c] of story.cases.entries()) {
          const at = `${encoder}/${name} case ${c.seqno ?? i}`;
          if (c.header_table_size != null) {
            if (i > 0 && c.header_table_size !== inForce) sizeChanges++;
            inForce = c.header_table_size;
          }
          assert.ok(c.wire !== undefined, `${at}: no wire`);
          assert.deepEqual(decoder.decode(fromHex(c.wire)), fieldsOf(c.headers), at);
          assert.ok(decoder.tableSize <= inForce, `${at}: table holds ${decoder.tableSize} octets, more than ${inForce}`);
          if (decoder.tableSize > 0) dynamicUsed = true;
          cases++;
        }
      }
      assert.ok(cases > 200, `${encoder}: only ${cases} cases`);
      assert.ok(dynamicUsed, `${encoder}: the dynamic table was never used`);
      if (encoder === 'nghttp2-change-table-size') assert.ok(sizeChanges > 0, 'no table size change seen');
    });
  }

  test('a size update past the announced limit is refused in a corpus story', () => {
    // nghttp2-16384-4096 opens every story with a size update to 4096 under a 16384 limit;
    // with a limit of 2048 the same bytes must be a PROTOCOL error, so the limit is live.
    const first = stories('nghttp2-16384-4096')[0]!.story.cases[0]!;
    assert.equal(first.header_table_size, 16384);
    assert.throws(() => new HpackDecoder({ maxTableSize: 2048 }).decode(fromHex(first.wire!)), /past our limit/);
  });
});

describe('HPACK encoder: raw-data stories round trip through our decoder', () => {
  for (const huffman of [true, false]) {
    test(huffman ? 'with Huffman' : 'plain literals', () => {
      const all = stories('raw-data');
      assert.ok(all.length >= 20);
      const encoder = new HpackEncoder({ sensitive: ['cookie', 'set-cookie'] });
      let cases = 0;
      let encoded = 0;
      let raw = 0;
      for (const { name, story } of all) {
        const decoder = new HpackDecoder();
        for (const [i, c] of story.cases.entries()) {
          const fields = fieldsOf(c.headers);
          const block = encoder.encode(fields, { huffman });
          assert.deepEqual(decoder.decode(block), fields, `raw-data/${name} case ${i}`);
          // Our encoder never indexes, so the peer's table stays empty.
          assert.equal(decoder.tableSize, 0);
          encoded += block.length;
          raw += fields.reduce((n, [k, v]) => n + k.length + v.length, 0);
          cases++;
        }
      }
      assert.ok(cases > 200, `only ${cases} cases`);
      // Huffman must actually shorten these ASCII headers; plain literals cannot be smaller than the text.
      if (huffman) assert.ok(encoded < raw, `Huffman output ${encoded} not below ${raw} octets of text`);
    });
  }
});
