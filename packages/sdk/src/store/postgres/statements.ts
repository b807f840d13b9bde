/** How `PostgresStore` sends its statements: the hot ones prepared, JSON values as text. */

/**
 * Hot statements go as named prepared statements: Postgres parses and plans each once per connection.
 * Measured on one workflow of three activities: 31.7 ms → 24.2 ms, COMMIT 2.48 → 1.50 ms (bench/).
 */
const preparedNames = new Map<string, string>();
export function prepared(text: string): { name: string; text: string } {
  let name = preparedNames.get(text);
  if (!name) {
    name = `reel_${preparedNames.size}`;
    preparedNames.set(text, name);
  }
  return { name, text };
}

/** A JSON parameter: its text, or SQL null for `undefined`. */
/**
 * The \`ready_at\` of run \`w\` when input reaches it (a signal, a child's outcome, a task's result, a
 * cancel from its parent's close): \`clock\` if it is open, unheld and has run before; a run that never
 * has (a delayed start, one waiting for its concurrency slot) keeps its time, and reads the input when
 * it starts.
 */
export const readyOnInput = (w: string, clock: string) =>
  `case when ${w}.lease_owner is null and ${w}.status = 'running' and ${w}.fencing_token > 0 then ${clock}
                         else ${w}.ready_at end`;

export const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

const YEAR_1 = -62_135_596_800_000;
const YEAR_10000 = 253_402_300_800_000;

/**
 * A timestamptz parameter as ISO text: pg's own conversion of a `Date` (to local time with its
 * offset, by hand) costs several times as much, and the hot statements carry a few on every commit.
 * A date outside the years 1 to 9999, which ISO text writes with a sign, goes as it is.
 */
export function timestamp(date: Date | null | undefined): string | Date | null {
  if (!date) return null;
  const ms = date.getTime();
  return ms >= YEAR_1 && ms < YEAR_10000 ? date.toISOString() : date;
}

/**
 * An aggregate of `reel.history`'s rows: their events as the text of one JSON array (null for no
 * rows), parsed once by the client, for 10,000 events about half the time of 10,000 rows each parsed
 * on its own. Each event is spelled out `{"type":…,"seq":…,"at":…` followed by the fields of `data`
 * (json, as stored: an object, which Reel writes without leading blanks; one shorter than six
 * characters is empty). For 10,000 events this takes 18.9 ms of the server's time against 22.8
 * for `json_agg(json_build_array(...))` (medians of 30 interleaved runs, Postgres 15), and the events,
 * parsed whole rather than as `[seq, type, data, at]` arrays with `data` then completed, parse in 16 ms
 * instead of 30 in a fresh process. `type` is one of Reel's event type names, and `at` goes as ISO
 * text (parsing 10,000 Dates to print them again cost as much as the query).
 */
export const EVENTS_TEXT = `'[' || string_agg('{"type":"' || type || '","seq":' || seq
                         || ',"at":"' || to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"'
                         || case when length(data::text) < 6 then '}' else ',' || substr(data::text, 2) end, ','
                         order by seq) || ']'`;
