import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ServerErrorCodes, STATUS_BY_CODE } from '../src/errors.ts';

const doc = await readFile(new URL('../../../docs/server.md', import.meta.url), 'utf8');

describe('docs/server.md', () => {
  it('has a section for every server error code, and no section for a code that does not exist', () => {
    const documented = [...doc.matchAll(/^### (REEL_[A-Z_]+)$/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.values(ServerErrorCodes).sort());
  });

  it('lists every code the server answers with in its status table', () => {
    const table = doc.slice(
      doc.search(/^\| status +\| codes +\| when +\|$/m),
      doc.indexOf('Why 400 and 422'),
    );
    for (const [code, status] of Object.entries(STATUS_BY_CODE)) {
      const row = table.split('\n').find((line) => line.includes(`\`${code}\``));
      expect(row, code).toMatch(new RegExp(`^\\| ${status} +\\|`));
    }
  });
});
