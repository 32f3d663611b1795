/**
 * The CLI's control commands, one per line on stdin, so a running simnet's faults can be
 * switched by hand or by a test harness:
 *
 *   latency <node|scid> <ms>      added HTLC latency
 *   slow <node> <ms>              slow RPC replies
 *   fail <node|scid> <n>          fail the next n HTLCs
 *   hold <node|scid> on|off       hold HTLCs unresolved
 *   drop <node>                   drop every socket
 *   offline <node> / online <node>
 *   refill all                    every channel's balances back to the opening (not those
 *                                 with HTLCs in flight), so a demo may buy the same again
 */
import type { Simnet } from './simnet.ts';

/** Runs one control line; resolves to a short reply (`ok ...` or `error: ...`). */
export async function runControl(simnet: Simnet, line: string): Promise<string> {
  const [cmd, target, arg] = line.trim().split(/\s+/);
  try {
    if (!cmd) return '';
    if (!target) throw new Error('missing target');
    const n = Number(arg);
    switch (cmd) {
      case 'latency':
        if (!(n >= 0)) throw new Error('latency needs milliseconds');
        simnet.setFaults(target, { latency: n });
        break;
      case 'slow':
        if (!(n >= 0)) throw new Error('slow needs milliseconds');
        simnet.setFaults(target, { slowReplies: n });
        break;
      case 'fail':
        if (!Number.isSafeInteger(n) || n < 0) throw new Error('fail needs a count');
        simnet.setFaults(target, { failNext: n });
        break;
      case 'hold':
        if (arg !== 'on' && arg !== 'off') throw new Error('hold needs on or off');
        simnet.setFaults(target, { hold: arg === 'on' });
        break;
      case 'drop':
        simnet.dropConnections(target);
        break;
      case 'offline':
      case 'online':
        await simnet.setOnline(target, cmd === 'online');
        break;
      case 'refill': {
        if (target !== 'all') throw new Error("refill takes 'all'");
        const channels = [...simnet.network.channels.values()];
        const busy = channels.filter((c) => !c.refill()).length;
        return `ok refill all (${channels.length - busy} channels${busy ? `; ${busy} with HTLCs in flight left as they are` : ''})`;
      }
      default:
        throw new Error(`unknown command '${cmd}'`);
    }
    return `ok ${line.trim()}`;
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}
