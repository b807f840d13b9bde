import { createHash } from 'node:crypto';
import type pg from 'pg';
import { errorFields, type Logger } from '../../logger.ts';
import type { ClosedNotice, StoreListener } from '../store.ts';
import { type HeldClient, holdClient } from './held-client.ts';
import { isConnectionError, reconnectDelay } from './reconnect.ts';

/** The notification channel behind each `StoreListener` handler. */
const CHANNELS = {
  onWake: 'reel_wake',
  // `reel_closed`: the workflow id alone, from workers of the previous version (0026_close_outcome.sql)
  onClosed: ['reel_outcome', 'reel_closed'],
  onTickClosed: 'reel_tick_closed',
  onQuery: 'reel_query',
  onQueryAnswered: 'reel_query_answered',
  onUpdate: 'reel_update',
  onTask: 'reel_task',
  onTaskCancelled: 'reel_task_cancelled',
} as const;

/**
 * `reel_wake`'s payload (see 0018_targeted_wake.sql): the run; `#<n>` when a worker passes on wakes of
 * n runs at once; then the workers it names, if any. On a worker's own channel, a run named alone is
 * input for a run the worker holds (0025_input_wake.sql).
 */
function wakeOf(payload: string): [string, string[] | undefined, number] {
  const [runId = '', ...to] = payload.split(' ');
  const runs = to[0]?.startsWith('#') ? Number(to.shift()?.slice(1)) : 1;
  return [runId, to.length > 0 ? to : undefined, runs];
}

/** `reel_outcome`'s payload (0026_close_outcome.sql): the workflow id, and which run closed and how. */
function closedOf(payload: string): [string, ClosedNotice] {
  const { id, run, status, outcome } = JSON.parse(payload);
  return [id, { runId: run, status, ...(outcome ? { outcome } : {}) }];
}

/** The channel of a worker's own wakes, as `reel.wake_channel` (0024_wake_channels.sql) names it. */
export function wakeChannel(worker: string): string {
  return `reel_wake_${createHash('md5').update(worker).digest('hex').slice(0, 16)}`;
}

/** The payload `wakeOf` reads back as a wake of `runs` runs (the latest `runId`) naming `to`. */
export function passedWake(runId: string, to: string[], runs: number): string {
  return [runId, ...(runs > 1 ? [`#${runs}`] : []), ...to].join(' ');
}

/**
 * `PostgresStore`'s notifications: one LISTEN connection per store, shared by its listeners, on the
 * channels they handle, made again with backoff when it drops.
 */
export class PostgresListener {
  /** The listeners, each with its worker's own wake channel, if it has a worker. */
  private listeners = new Map<StoreListener, string | undefined>();
  /** The LISTEN connection, while it is up. */
  private listenClient: HeldClient | undefined;
  /** The first attempt at the LISTEN connection, while under way. */
  private connecting: Promise<boolean> | undefined;
  /** True while the LISTEN connection is being made again, with backoff. */
  private reconnecting = false;
  /** The channels the LISTEN connection listens on (again after a reconnect). */
  private readonly channels = new Map<string, Promise<unknown>>();
  /** The last LISTEN sent, settled once it is answered. */
  private lastListen: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** `Date.now()` when the LISTEN connection dropped, until it is back. */
  private lostAt: number | undefined;

  /** `logger` hears of the connection dropping and coming back. */
  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {}

  /**
   * Resolves once the listener's channels are listened on, or, while Postgres is unreachable, once
   * the LISTEN connection is being made again: it then listens on them, and the listener hears
   * `onWake('')`. Rejects only for errors other than connection errors.
   */
  async listen(listener: StoreListener): Promise<() => Promise<void>> {
    const own = listener.worker === undefined ? undefined : wakeChannel(listener.worker);
    this.listeners.set(listener, own);
    try {
      if (!this.listenClient && !this.reconnecting) {
        this.connecting ??= this.connectListener().finally(() => (this.connecting = undefined));
        if (!(await this.connecting)) this.reconnect();
      }
    } catch (err) {
      this.listeners.delete(listener);
      throw err;
    }
    // Only the channels someone handles: every NOTIFY costs each backend listening on its channel.
    const channels = (Object.keys(CHANNELS) as (keyof typeof CHANNELS)[])
      .filter((h) => listener[h])
      .flatMap((h): string | readonly string[] => CHANNELS[h]);
    if (own) channels.push(own);
    const fresh = channels.filter((c) => !this.channels.has(c));
    const listening = this.listenOn(fresh);
    for (const channel of fresh) this.channels.set(channel, listening);
    await Promise.all(channels.map((c) => this.channels.get(c)));
    return async () => {
      this.listeners.delete(listener);
    };
  }

  /** Stops listening for good: the LISTEN connection is destroyed and never made again. */
  async close(): Promise<void> {
    this.closed = true;
    await this.connecting?.catch(() => undefined);
    this.listenClient?.release(true); // destroyed, not pooled: it is still subscribed
    this.listenClient = undefined;
  }

  /**
   * Makes the one LISTEN connection per store, shared by its listeners, and listens on every channel
   * asked for so far. False when Postgres is unreachable or the connection dropped meanwhile.
   */
  private async connectListener(): Promise<boolean> {
    let held: HeldClient | undefined;
    try {
      // An error before `held` is set (the pool handed the client over in the read that carries its
      // connection error) is in `held.error`, checked below.
      held = await holdClient(this.pool, (err) => held && this.listenerLost(held, err));
    } catch (err) {
      if (isConnectionError(err)) return false;
      throw err;
    }
    if (this.closed || held.error) {
      held.release(true);
      return false;
    }
    held.client.on('notification', (n) => {
      for (const [l, own] of this.listeners) {
        const payload = n.payload as string;
        if (n.channel.startsWith('reel_wake')) {
          // Another worker's channel (of this store, in this process) is not this listener's.
          if (n.channel !== own && n.channel !== CHANNELS.onWake) continue;
          const [runId, to, runs] = wakeOf(payload);
          if (n.channel === own && !to) l.onInput?.(runId);
          else l.onWake?.(runId, to, runs);
        } else if (n.channel === 'reel_outcome') l.onClosed?.(...closedOf(payload));
        else if (n.channel === 'reel_closed') l.onClosed?.(payload);
        else if (n.channel === 'reel_tick_closed') l.onTickClosed?.(payload);
        else if (n.channel === 'reel_query') l.onQuery?.(payload.slice(0, 36), payload.slice(37));
        else if (n.channel === 'reel_query_answered') l.onQueryAnswered?.(payload);
        else if (n.channel === 'reel_update') l.onUpdate?.(payload);
        else if (n.channel === 'reel_task') l.onTask?.(payload);
        else if (n.channel === 'reel_task_cancelled') l.onTaskCancelled?.(payload);
      }
    });
    this.listenClient = held;
    const channels = [...this.channels.keys()];
    const listening = this.listenOn(channels);
    for (const channel of channels) this.channels.set(channel, listening);
    await listening;
    return this.listenClient === held;
  }

  /**
   * LISTEN on the connection, if up, after the LISTENs sent before (a client runs one command at a
   * time); if it drops, the reconnect listens on the channels instead.
   */
  private listenOn(channels: string[]): Promise<void> {
    const send = async () => {
      if (channels.length === 0 || !this.listenClient) return;
      try {
        await this.listenClient.client.query(channels.map((c) => `listen ${c}`).join('; '));
      } catch (err) {
        if (!isConnectionError(err)) throw err;
      }
    };
    const sent = this.lastListen.then(send);
    this.lastListen = sent.catch(() => undefined);
    return sent;
  }

  private listenerLost(held: HeldClient, err: Error): void {
    if (this.listenClient !== held) return; // close() let go of it, or it was never up
    this.listenClient = undefined;
    held.release(true);
    this.lostAt = Date.now();
    this.logger.warn(
      { err: errorFields(err) },
      `Postgres connection lost (${errorFields(err).message}); reconnecting with backoff`,
    );
    this.reconnect();
  }

  /**
   * Makes the LISTEN connection again, with exponential backoff and jitter while Postgres is
   * unreachable. Only once it listens again are the listeners told to look again (`onWake('')`):
   * anything may have happened while it was away, and a nudge before would miss what comes between.
   */
  private reconnect(): void {
    if (this.reconnecting || this.closed) return;
    this.reconnecting = true;
    void (async () => {
      for (let attempt = 0; !this.listenClient && !this.closed; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, reconnectDelay(attempt)).unref());
        if (this.closed || !(await this.connectListener().catch(() => false))) continue;
        if (this.lostAt !== undefined) {
          const downMs = Date.now() - this.lostAt;
          this.lostAt = undefined;
          this.logger.info({ downMs }, 'Postgres connection regained; listening again');
        }
        for (const l of this.listeners.keys()) l.onWake?.('');
      }
      this.reconnecting = false;
    })();
  }
}
