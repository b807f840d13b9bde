import { defineActivity, NonRetryableError } from '@reel/sdk';
import type pg from 'pg';

// The app's own tables, in the database Reel uses (its schema `reel` lives beside them), and the two
// steps that write them. Each step gets a client inside a transaction that also records the step's
// result in Reel: the writes and that record commit together, or neither does.

/** The amount is more than the account holds: the transfer is refused, not retried. */
export class InsufficientFundsError extends Error {
  constructor(account: string, cents: number) {
    super(`Account ${account} holds less than ${cents} cents.`);
    this.name = 'InsufficientFundsError';
  }
}

/**
 * Creates the app's tables if they are missing: this example's one migration. `openAccounts` runs it,
 * so `reel dev` needs no setup; an app would run it with its other migrations.
 */
export async function createTables(db: pg.ClientBase | pg.Pool): Promise<void> {
  await db.query(`create table if not exists accounts (
    id text primary key,
    cents integer not null check (cents >= 0))`);
  // One row per transfer, keyed by its id: a second booking of the same transfer cannot commit.
  await db.query(`create table if not exists ledger (
    transfer_id text primary key,
    from_account text not null references accounts,
    to_account text not null references accounts,
    cents integer not null check (cents > 0),
    booked_at timestamptz not null default now())`);
}

/** Balances by account id, in cents. */
export type Balances = Record<string, number>;

/** Opens the accounts that do not exist yet with the given balances; returns every balance asked for. */
export const createAccounts = defineActivity(async function createAccounts(
  tx: pg.PoolClient,
  balances: Balances,
): Promise<Balances> {
  await createTables(tx);
  for (const [id, cents] of Object.entries(balances)) {
    await tx.query('insert into accounts (id, cents) values ($1, $2) on conflict (id) do nothing', [
      id,
      cents,
    ]);
  }
  return balancesOf(tx, Object.keys(balances));
});

/** A transfer of `cents` from one account to another. */
export interface Transfer {
  from: string;
  to: string;
  cents: number;
}

/**
 * Debits `from`, credits `to` and writes the ledger row `transferId`, in the step's transaction;
 * returns both balances after it. Refuses an overdraft with `InsufficientFundsError`, leaving both
 * accounts as they were.
 */
export const bookTransfer = defineActivity(
  async function bookTransfer(tx: pg.PoolClient, transferId: string, t: Transfer): Promise<Balances> {
    // The check and the debit are one statement: no concurrent transfer can slip in between.
    const debit = await tx.query('update accounts set cents = cents - $2 where id = $1 and cents >= $2', [
      t.from,
      t.cents,
    ]);
    if (debit.rowCount === 0) {
      if ((await balancesOf(tx, [t.from]))[t.from] === undefined) throw unknownAccount(t.from);
      throw new InsufficientFundsError(t.from, t.cents);
    }
    const credit = await tx.query('update accounts set cents = cents + $2 where id = $1', [t.to, t.cents]);
    if (credit.rowCount === 0) throw unknownAccount(t.to);
    await tx.query(
      'insert into ledger (transfer_id, from_account, to_account, cents) values ($1, $2, $3, $4)',
      [transferId, t.from, t.to, t.cents],
    );
    return balancesOf(tx, [t.from, t.to]);
  },
  { retry: { maxAttempts: 5, nonRetryableErrors: ['InsufficientFundsError'] }, startToCloseTimeout: '10s' },
);

async function balancesOf(tx: pg.ClientBase, ids: string[]): Promise<Balances> {
  const { rows } = await tx.query<{ id: string; cents: number }>(
    'select id, cents from accounts where id = any($1) order by id',
    [ids],
  );
  return Object.fromEntries(rows.map((r) => [r.id, r.cents]));
}

function unknownAccount(id: string): NonRetryableError {
  return new NonRetryableError(`No account ${id}: open it first with the openAccounts workflow.`);
}
