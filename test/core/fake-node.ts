/** For test doubles of the engine's Node that only send: the receiving methods, refusing. */
import type { Node } from '../../packages/core/src/index.ts';

type Receiving = Omit<Node, 'id' | 'sendpay' | 'waitsendpay' | 'listsendpays' | 'connected'>;

const refuse = async (): Promise<never> => {
  throw new Error('this test node does not receive');
};

export const noReceiving: Receiving = {
  invoice: refuse,
  listinvoices: refuse,
  holdinvoice: refuse,
  settleholdinvoice: refuse,
  cancelholdinvoice: refuse,
  listholdinvoices: refuse,
  listhtlcs: refuse,
  waithtlcs: refuse,
  getroutes: refuse,
  askrenecreatelayer: refuse,
  askreneconstrainchannel: refuse,
  askrenedisablechannel: refuse,
  askrenedisablenode: refuse,
  askreneremovelayer: refuse,
  listchannels: refuse,
  listnodes: refuse,
  listpeerchannels: refuse,
  getinfo: refuse,
};

/** A node with nothing in flight that sends nothing: for tests of what the journal answers. */
export function idleNode(id: string): Node {
  return {
    ...noReceiving,
    id,
    sendpay: async () => {
      throw new Error('nothing is sent here');
    },
    waitsendpay: () => new Promise(() => {}),
    listsendpays: async () => [],
    connected: async () => {},
  };
}
