import type pg from 'pg';

/**
 * How long a claimed delivery may stay unfinished before a redelivery takes it over: its holder
 * died (or lost the database) between the claim and the signal. Far above a signal's latency.
 */
const CLAIM_TIMEOUT_SECONDS = 60;

/** The signal-with-start deliveries already handled, in `reel.hook_deliveries`. */
export class HookDeliveries {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Claims a delivery: true when this request is to handle it (it is new, or its claim is stale),
   * false when it was handled or is being handled now.
   */
  async claim(hook: string, deliveryId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `insert into reel.hook_deliveries (hook, delivery_id) values ($1, $2)
       on conflict (hook, delivery_id) do update set claimed_at = now()
         where hook_deliveries.done_at is null
           and hook_deliveries.claimed_at < now() - make_interval(secs => $3)`,
      [hook, deliveryId, CLAIM_TIMEOUT_SECONDS],
    );
    return rowCount === 1;
  }

  /** Marks a claimed delivery handled: its redeliveries do nothing. */
  async done(hook: string, deliveryId: string): Promise<void> {
    await this.pool.query(
      'update reel.hook_deliveries set done_at = now() where hook = $1 and delivery_id = $2',
      [hook, deliveryId],
    );
  }

  /** Gives a claim up after a failure, so the provider's retry handles the delivery. */
  async release(hook: string, deliveryId: string): Promise<void> {
    await this.pool.query(
      'delete from reel.hook_deliveries where hook = $1 and delivery_id = $2 and done_at is null',
      [hook, deliveryId],
    );
  }
}
