/**
 * Reads BOLT 8 appendix A (test/fixtures/reference/bolt8-test-vectors.txt) and turns every vector
 * into a runnable case. Used by the Node test and the Chromium test alike, so both run the
 * very same checks on the very same text.
 */
import { HandshakeError, InitiatorHandshake, NoiseTransport, ResponderHandshake, publicKeyOf } from '../../packages/wire/src/noise.ts';
import { fromHex, toHex } from '../../packages/wire/src/bytes.ts';

export interface VectorCase {
  name: string;
  run(): void;
}

interface Step {
  kind: 'input' | 'output';
  value: string;
}

interface Block {
  fields: Map<string, string>;
  steps: Step[];
}

function hexOf(value: string): Uint8Array {
  return fromHex(value.trim().replace(/^0x/, ''));
}

function fail(message: string): never {
  throw new Error(message);
}

function expectEqual(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (toHex(actual) !== toHex(expected)) fail(`${what}: got ${toHex(actual)}, want ${toHex(expected)}`);
}

/** Splits one section of the file into blocks that start at `name:`. */
function parseBlocks(section: string): Block[] {
  const blocks: Block[] = [];
  let current: Block | undefined;
  for (const raw of section.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('```')) continue;
    const m = /^([\w. ,]+?)\s*[:=]\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.trim();
    const value = m[2]!.trim();
    if (key === 'name') {
      current = { fields: new Map([['name', value]]), steps: [] };
      blocks.push(current);
    } else if (current && (key === 'input' || key === 'output')) {
      current.steps.push({ kind: key, value });
    } else if (current) {
      current.fields.set(key, value);
    }
  }
  return blocks;
}

function section(text: string, title: string): string {
  const start = text.indexOf(`## ${title}`);
  if (start < 0) fail(`section "${title}" missing from the vectors file`);
  const next = text.indexOf('\n## ', start + 3);
  return text.slice(start, next < 0 ? undefined : next);
}

function field(block: Block, key: string): Uint8Array {
  const value = block.fields.get(key);
  if (value === undefined) fail(`vector ${block.fields.get('name')} lacks ${key}`);
  return hexOf(value);
}

/** `ERROR (ACT2_BAD_VERSION 1)` → `ACT2_BAD_VERSION`; anything else → undefined. */
function expectedError(step: Step | undefined): string | undefined {
  const m = step && /^ERROR\s*\((\w+)/.exec(step.value);
  return m ? m[1] : undefined;
}

function expectHandshakeError(fn: () => unknown, reason: string): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof HandshakeError && e.reason === reason) return;
    fail(`expected HandshakeError ${reason}, got ${String(e)}`);
  }
  fail(`expected HandshakeError ${reason}, got success`);
}

/** Two transports are the same when they encrypt the same messages to the same bytes. */
function expectSameKeys(actual: NoiseTransport, keysLine: string, order: 'sk,rk' | 'rk,sk'): void {
  const m = /^(sk,rk|rk,sk)=0x([0-9a-f]{64}),0x([0-9a-f]{64})$/.exec(keysLine);
  if (!m || m[1] !== order) fail(`unexpected keys line ${keysLine}`);
  const [sk, rk] = order === 'sk,rk' ? [m[2]!, m[3]!] : [m[3]!, m[2]!];
  const ck = new Uint8Array(32);
  const expected = new NoiseTransport(fromHex(sk), fromHex(rk), ck, new Uint8Array(33));
  const probe = new Uint8Array([1, 2, 3]);
  expectEqual(actual.encrypt(probe), expected.encrypt(probe), 'sending key');
  // The receiving key: what the expected side's mirror would send must decrypt here.
  const mirror = new NoiseTransport(fromHex(rk), fromHex(sk), ck, new Uint8Array(33));
  const frame = mirror.encrypt(probe);
  const length = actual.decryptLength(frame.subarray(0, 18));
  expectEqual(actual.decryptBody(frame.subarray(18, 18 + length + 16)), probe, 'receiving key');
}

function initiatorCase(block: Block): VectorCase {
  return {
    name: block.fields.get('name')!,
    run() {
      const ls = field(block, 'ls.priv');
      expectEqual(publicKeyOf(ls), field(block, 'ls.pub'), 'ls.pub');
      expectEqual(publicKeyOf(field(block, 'e.priv')), field(block, 'e.pub'), 'e.pub');
      const hs = new InitiatorHandshake({
        localPrivateKey: ls,
        ephemeralPrivateKey: field(block, 'e.priv'),
        remotePublicKey: field(block, 'rs.pub'),
      });
      const [act1Out, act2In, act3Out, keys] = block.steps;
      if (act1Out?.kind !== 'output' || act2In?.kind !== 'input') fail('malformed initiator vector');
      expectEqual(hs.actOne(), hexOf(act1Out.value), 'act one');
      const error = expectedError(act3Out);
      if (error) return expectHandshakeError(() => hs.readActTwo(hexOf(act2In.value)), error);
      hs.readActTwo(hexOf(act2In.value));
      const { message, transport } = hs.actThree();
      expectEqual(message, hexOf(act3Out!.value), 'act three');
      expectSameKeys(transport, keys!.value, 'sk,rk');
    },
  };
}

function responderCase(block: Block): VectorCase {
  return {
    name: block.fields.get('name')!,
    run() {
      const ls = field(block, 'ls.priv');
      expectEqual(publicKeyOf(ls), field(block, 'ls.pub'), 'ls.pub');
      const hs = new ResponderHandshake({ localPrivateKey: ls, ephemeralPrivateKey: field(block, 'e.priv') });
      const [act1In, act2Out, act3In, result] = block.steps;
      if (act1In?.kind !== 'input') fail('malformed responder vector');
      const act1Error = expectedError(act2Out);
      if (act1Error) return expectHandshakeError(() => hs.readActOne(hexOf(act1In.value)), act1Error);
      hs.readActOne(hexOf(act1In.value));
      expectEqual(hs.actTwo(), hexOf(act2Out!.value), 'act two');
      const act3Error = expectedError(result);
      if (act3Error) return expectHandshakeError(() => hs.readActThree(hexOf(act3In!.value)), act3Error);
      const transport = hs.readActThree(hexOf(act3In!.value));
      expectSameKeys(transport, result!.value, 'rk,sk');
    },
  };
}

function messageCase(block: Block): VectorCase {
  return {
    name: block.fields.get('name')!,
    run() {
      const ck = field(block, 'ck');
      const sk = field(block, 'sk');
      const outputs = new Map<number, Uint8Array>();
      for (const [key, value] of block.fields) {
        const m = /^output (\d+)$/.exec(key);
        if (m) outputs.set(Number(m[1]), hexOf(value));
      }
      if (outputs.size < 6) fail(`expected six message outputs, found ${outputs.size}`);
      const last = Math.max(...outputs.keys());
      const sender = new NoiseTransport(sk, field(block, 'rk'), ck, new Uint8Array(33));
      const receiver = new NoiseTransport(field(block, 'rk'), sk, ck, new Uint8Array(33));
      const hello = new TextEncoder().encode('hello');
      for (let i = 0; i <= last; i++) {
        const frame = sender.encrypt(hello);
        const want = outputs.get(i);
        if (want) expectEqual(frame, want, `output ${i}`);
        // Decrypting every frame proves the receiving side rotates in step.
        const length = receiver.decryptLength(frame.subarray(0, 18));
        expectEqual(receiver.decryptBody(frame.subarray(18)), hello, `decrypt ${i}`);
        if (length !== 5) fail(`decrypted length ${length}`);
      }
    },
  };
}

/** Every case in the file: initiator, responder (with each failure) and message encryption. */
export function bolt8Cases(text: string): VectorCase[] {
  // The message section's "output N:" keys carry a space, which parseBlocks keeps.
  const cases = [
    ...parseBlocks(section(text, 'Initiator Tests')).map(initiatorCase),
    ...parseBlocks(section(text, 'Responder Tests')).map(responderCase),
    ...parseBlocks(section(text, 'Message Encryption Tests')).map(messageCase),
  ];
  if (cases.length < 15) fail(`only ${cases.length} vectors found; the file has 15`);
  return cases;
}
