/** Output helpers: JSON for scripts (`--json`), aligned tables and key-value lists for people. */

/** One line for people. */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function printJson(value: unknown, pretty = false): void {
  process.stdout.write(`${JSON.stringify(value, null, pretty ? 2 : undefined)}\n`);
}

/** Rows of cells under upper-case headers, each column as wide as its widest cell. */
export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[line(headers.map((h) => h.toUpperCase())), ...rows.map(line)].join('\n')}\n`);
}

/** `key: value` lines, keys aligned; a field without a value (undefined or empty) is left out. */
export function printFields(fields: [string, string | undefined][]): void {
  const shown = fields.filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '');
  const width = Math.max(...shown.map(([k]) => k.length));
  process.stdout.write(`${shown.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${v}`).join('\n')}\n`);
}

/** A compact one-line rendering of a JSON value, cut to `max` characters; empty for undefined. */
export function brief(value: unknown, max = 60): string {
  const text = value === undefined ? '' : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export const when = (d: Date | string | undefined | null) => (d ? new Date(d).toISOString() : undefined);
