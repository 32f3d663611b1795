/**
 * A hand-driven clock for go-back-N tests: timers fire only when the test moves time on,
 * in time order, so a test of resends or keepalives takes no wall time and leaves no timer.
 */
import type { GbnTimers } from '../../packages/wire/src/lnc/gbn.ts';

interface Timer {
  at: number;
  order: number;
  callback: () => void;
  live: boolean;
}

/** A {@link GbnTimers} whose time moves only through {@link FakeClock.advanceTo} and {@link FakeClock.advance}. */
export class FakeClock implements GbnTimers {
  private time = 0;
  private order = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.time;
  }

  setTimer(callback: () => void, ms: number): () => void {
    const timer: Timer = { at: this.time + Math.max(0, ms), order: this.order++, callback, live: true };
    this.timers.push(timer);
    return () => {
      timer.live = false;
    };
  }

  /** Timers not yet fired nor cancelled. */
  get pending(): number {
    return this.timers.filter((t) => t.live).length;
  }

  /** Moves time to `t`, firing every timer due on the way, each at its own time. */
  advanceTo(t: number): void {
    for (;;) {
      this.timers = this.timers.filter((timer) => timer.live);
      let next: Timer | undefined;
      for (const timer of this.timers) {
        if (timer.at <= t && (!next || timer.at < next.at || (timer.at === next.at && timer.order < next.order))) next = timer;
      }
      if (!next) break;
      next.live = false;
      this.time = Math.max(this.time, next.at);
      next.callback();
    }
    this.time = Math.max(this.time, t);
  }

  /** Moves time on by `ms`. */
  advance(ms: number): void {
    this.advanceTo(this.time + ms);
  }
}
