/**
 * HPACK (RFC 7541) for LNC's HTTP/2: the decoder against every example of Appendix C (C.2 to
 * C.6, plain and Huffman, with the dynamic table checked after each block), the Huffman code
 * against Appendix B, the encoder by round trip, and hostile blocks that must fail with a
 * typed PROTOCOL error instead of throwing anything else or looping.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromHex, toHex } from '../../packages/wire/src/bytes.ts';
import { WireError } from '../../packages/wire/src/errors.ts';
import { HpackDecoder, HpackEncoder, type HeaderField } from '../../packages/wire/src/lnc/hpack.ts';
import { huffmanCode, huffmanDecode, huffmanEncode } from '../../packages/wire/src/lnc/huffman.ts';

const hex = (s: string) => fromHex(s.replace(/\s+/g, ''));
const latin1 = (bytes: Uint8Array) => String.fromCharCode(...bytes);
const octets = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

function isProtocolError(error: unknown): boolean {
  return error instanceof WireError && error.code === 'PROTOCOL';
}

interface Step {
  block: string;
  headers: HeaderField[];
  /** Dynamic table, newest first, and its size. */
  table: HeaderField[];
  size: number;
}

const date1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
const date2 = 'Mon, 21 Oct 2013 20:13:22 GMT';
const cookie = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
const loc = 'https://www.example.com';

// RFC 7541 C.3 / C.4: the same three requests, without and with Huffman.
const requests = (blocks: string[]): Step[] => [
  {
    block: blocks[0]!,
    headers: [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ],
    table: [[':authority', 'www.example.com']],
    size: 57,
  },
  {
    block: blocks[1]!,
    headers: [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
      ['cache-control', 'no-cache'],
    ],
    table: [
      ['cache-control', 'no-cache'],
      [':authority', 'www.example.com'],
    ],
    size: 110,
  },
  {
    block: blocks[2]!,
    headers: [
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/index.html'],
      [':authority', 'www.example.com'],
      ['custom-key', 'custom-value'],
    ],
    table: [
      ['custom-key', 'custom-value'],
      ['cache-control', 'no-cache'],
      [':authority', 'www.example.com'],
    ],
    size: 164,
  },
];

// RFC 7541 C.5 / C.6: three responses with a 256-octet table, so entries are evicted.
const responses = (blocks: string[]): Step[] => [
  {
    block: blocks[0]!,
    headers: [
      [':status', '302'],
      ['cache-control', 'private'],
      ['date', date1],
      ['location', loc],
    ],
    table: [
      ['location', loc],
      ['date', date1],
      ['cache-control', 'private'],
      [':status', '302'],
    ],
    size: 222,
  },
  {
    block: blocks[1]!,
    headers: [
      [':status', '307'],
      ['cache-control', 'private'],
      ['date', date1],
      ['location', loc],
    ],
    table: [
      [':status', '307'],
      ['location', loc],
      ['date', date1],
      ['cache-control', 'private'],
    ],
    size: 222,
  },
  {
    block: blocks[2]!,
    headers: [
      [':status', '200'],
      ['cache-control', 'private'],
      ['date', date2],
      ['location', loc],
      ['content-encoding', 'gzip'],
      ['set-cookie', cookie],
    ],
    table: [
      ['set-cookie', cookie],
      ['content-encoding', 'gzip'],
      ['date', date2],
    ],
    size: 215,
  },
];

const C3 = requests([
  '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
  '8286 84be 5808 6e6f 2d63 6163 6865',
  '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
]);
const C4 = requests([
  '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff',
  '8286 84be 5886 a8eb 1064 9cbf',
  '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf',
]);
const C5 = responses([
  `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768
   7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d`,
  '4803 3330 37c1 c0bf',
  `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153
   444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31`,
]);
const C6 = responses([
  `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8
   e9ae 82ae 43d3`,
  '4883 640e ffc1 c0bf',
  `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b
   3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
]);

describe('HPACK decoder: RFC 7541 Appendix C', () => {
  test('C.2.1 literal with indexing', () => {
    const d = new HpackDecoder();
    assert.deepEqual(d.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572')), [['custom-key', 'custom-header']]);
    assert.deepEqual(d.table, [['custom-key', 'custom-header']]);
    assert.equal(d.tableSize, 55);
  });

  test('C.2.2 literal without indexing, C.2.3 never indexed, C.2.4 indexed: the table stays empty', () => {
    const d = new HpackDecoder();
    assert.deepEqual(d.decode(hex('040c 2f73 616d 706c 652f 7061 7468')), [[':path', '/sample/path']]);
    assert.deepEqual(d.decode(hex('1008 7061 7373 776f 7264 0673 6563 7265 74')), [['password', 'secret']]);
    assert.deepEqual(d.decode(hex('82')), [[':method', 'GET']]);
    assert.deepEqual(d.table, []);
    assert.equal(d.tableSize, 0);
  });

  for (const [name, steps, maxTableSize] of [
    ['C.3 requests without Huffman', C3, 4096],
    ['C.4 requests with Huffman', C4, 4096],
    ['C.5 responses without Huffman (256-octet table, evictions)', C5, 256],
    ['C.6 responses with Huffman (256-octet table, evictions)', C6, 256],
  ] as const) {
    test(name, () => {
      const d = new HpackDecoder({ maxTableSize });
      steps.forEach((step, i) => {
        assert.deepEqual(d.decode(hex(step.block)), step.headers, `block ${i + 1}`);
        assert.deepEqual(d.table, step.table, `table after block ${i + 1}`);
        assert.equal(d.tableSize, step.size, `table size after block ${i + 1}`);
      });
    });
  }

  test('a table size update evicts, and a later one may grow the table back up to our limit', () => {
    const d = new HpackDecoder({ maxTableSize: 256 });
    for (const step of C5) d.decode(hex(step.block));
    assert.equal(d.table.length, 3);
    // 0x3f 0xe1 0x01 would be 256 + ... : here a size update to 64 (0x20 | 31, 33), then one back to 256.
    assert.deepEqual(d.decode(hex('3f21')), []);
    assert.deepEqual(d.table, []); // 215-octet set-cookie entry alone exceeds 64
    assert.deepEqual(d.decode(hex('3fe101 4803 3330 32')), [[':status', '302']]);
    assert.deepEqual(d.table, [[':status', '302']]);
  });

  test('an entry larger than the whole table empties it without an error (RFC 7541 §4.4)', () => {
    const d = new HpackDecoder({ maxTableSize: 64 });
    d.decode(hex('4803 3330 32')); // :status 302, 42 octets
    assert.equal(d.table.length, 1);
    // custom-key: 40-byte value → 10 + 40 + 32 = 82 > 64.
    const value = 'x'.repeat(40);
    const block = new Uint8Array([0x40, 10, ...octets('custom-key'), 40, ...octets(value)]);
    assert.deepEqual(d.decode(block), [['custom-key', value]]);
    assert.deepEqual(d.table, []);
    assert.equal(d.tableSize, 0);
  });
});

describe('Huffman code: RFC 7541 Appendix B', () => {
  test('codes and lengths of sample symbols, EOS included', () => {
    const expected: [number, number, number][] = [
      [0, 0x1ff8, 13],
      [10, 0x3ffffffc, 30],
      [32, 0x14, 6],
      [48, 0x0, 5],
      [92, 0x7fff0, 19],
      [97, 0x3, 5],
      [127, 0xffffffc, 28],
      [128, 0xfffe6, 20],
      [199, 0x1ffffec, 25],
      [203, 0x7ffffde, 27],
      [255, 0x3ffffee, 26],
      [256, 0x3fffffff, 30],
    ];
    for (const [symbol, code, bits] of expected) assert.deepEqual(huffmanCode(symbol), { code, bits }, `symbol ${symbol}`);
  });

  test('the strings of Appendix C encode to the published bytes', () => {
    const cases: [string, string][] = [
      ['www.example.com', 'f1e3c2e5f23a6ba0ab90f4ff'],
      ['no-cache', 'a8eb10649cbf'],
      ['custom-key', '25a849e95ba97d7f'],
      ['custom-value', '25a849e95bb8e8b4bf'],
      ['302', '6402'],
      ['private', 'aec3771a4b'],
      [date1, 'd07abe941054d444a8200595040b8166e082a62d1bff'],
      [loc, '9d29ad171863c78f0b97c8e9ae82ae43d3'],
      ['gzip', '9bd9ab'],
      [cookie, '94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007'],
    ];
    for (const [text, coded] of cases) {
      assert.equal(toHex(huffmanEncode(octets(text))), coded, text);
      assert.equal(latin1(huffmanDecode(fromHex(coded))), text);
    }
  });

  test('every octet round-trips, alone and all together', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    assert.deepEqual(huffmanDecode(huffmanEncode(all)), all);
    for (let b = 0; b < 256; b++) assert.deepEqual(huffmanDecode(huffmanEncode(Uint8Array.of(b))), Uint8Array.of(b));
    assert.deepEqual(huffmanDecode(new Uint8Array(0)), new Uint8Array(0));
  });

  test('bad padding and EOS are PROTOCOL errors', () => {
    // 'a' = 00011, padded with 000 instead of 111.
    assert.throws(() => huffmanDecode(fromHex('18')), isProtocolError);
    // A whole byte of ones after 'a' (0x1f, then 0xff): padding longer than 7 bits.
    assert.throws(() => huffmanDecode(fromHex('1fff')), isProtocolError);
    // EOS itself: 30 ones, then two bits of padding.
    assert.throws(() => huffmanDecode(fromHex('ffffffff')), isProtocolError);
    // Only ones (padding of 8 bits) for an empty string is also too long.
    assert.throws(() => huffmanDecode(fromHex('ff')), isProtocolError);
  });
});

describe('HPACK encoder', () => {
  const gRpcRequest: HeaderField[] = [
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', '/lnrpc.Lightning/GetInfo'],
    [':authority', 'lnd'],
    ['content-type', 'application/grpc'],
    ['user-agent', 'ampkit'],
    ['te', 'trailers'],
    ['grpc-timeout', '60000m'],
    ['macaroon', '0201036c6e640258030a100000000000000000'],
    ['x-octets', 'caf\u00e9 \u00ff\u0000'],
  ];

  test('round-trips through the decoder, with and without Huffman, and leaves no table entries', () => {
    for (const huffman of [true, false]) {
      const d = new HpackDecoder();
      const block = new HpackEncoder().encode(gRpcRequest, { huffman });
      assert.deepEqual(d.decode(block), gRpcRequest);
      assert.equal(d.tableSize, 0);
    }
  });

  test('static entries become one byte; sensitive names are never indexed; Huffman is used only when shorter', () => {
    const encoder = new HpackEncoder({ sensitive: ['macaroon'] });
    assert.equal(toHex(encoder.encode([[':method', 'POST']])), '83');
    assert.equal(toHex(encoder.encode([[':scheme', 'http']])), '86');
    // ':path' (static 4) literal without indexing, Huffman value.
    assert.equal(toHex(encoder.encode([[':path', '/sample/path']], { huffman: false })), '040c2f73616d706c652f70617468');
    const macaroon = encoder.encode([['macaroon', 'ab']]);
    assert.equal(macaroon[0], 0x10, 'never indexed, new name');
    // 'accept' is static 19 (4-bit prefix: 0x0f then 4); '\x00' takes 13 bits, so the value stays plain.
    assert.equal(toHex(encoder.encode([['accept', '\u0000']])), '0f04' + '0100');
  });

  test('text outside Latin-1 is refused', () => {
    assert.throws(
      () => new HpackEncoder().encode([['x', '\u20ac']]),
      (e: unknown) => e instanceof WireError && e.code === 'INVALID_ARGUMENT',
    );
  });
});

describe('HPACK decoder: hostile input', () => {
  const bad: [string, string][] = [
    ['index 0', '80'],
    ['index past the static table with an empty dynamic table', 'be'],
    ['index far past the table', 'ff8001'],
    ['literal naming index past the table', '7f0001 61'],
    ['integer with too many continuation bytes', 'ff ffffffffffffffff7f'],
    ['integer over 2^31', 'ff 80808080 10'],
    ['integer cut short', 'ff 80'],
    ['string length past the block', '40 05 6162'],
    ['huge string length', '40 7f ffffffff07'],
    ['missing value string', '40 01 61'],
    ['Huffman string with bad padding', '40 81 18 01 61'],
    ['Huffman string holding EOS', '40 84 ffffffff 01 61'],
    ['table size update over our limit', '3fe21f'],
    ['table size update after a field', '82 20'],
  ];
  for (const [name, block] of bad) {
    test(name, () => {
      assert.throws(() => new HpackDecoder().decode(hex(block)), isProtocolError);
    });
  }

  test('a header list over the limit fails, whether from one value or many small fields', () => {
    const small = new HpackDecoder({ maxHeaderListSize: 100 });
    const value = 'v'.repeat(80);
    assert.throws(() => small.decode(new Uint8Array([0x00, 1, 0x61, 80, ...octets(value)])), isProtocolError);
    // 60 × ':method GET' (42 octets each) from a 60-byte block.
    assert.throws(() => new HpackDecoder({ maxHeaderListSize: 2000 }).decode(new Uint8Array(60).fill(0x82)), isProtocolError);
    assert.equal(new HpackDecoder({ maxHeaderListSize: 2000 }).decode(new Uint8Array(40).fill(0x82)).length, 40);
  });

  test('random blocks either decode or fail with PROTOCOL, nothing else', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    for (let i = 0; i < 3000; i++) {
      const block = Uint8Array.from({ length: 1 + (random() % 40) }, random);
      try {
        new HpackDecoder().decode(block);
      } catch (error) {
        assert.ok(isProtocolError(error), `block ${toHex(block)} threw ${String(error)}`);
      }
    }
  });
});
