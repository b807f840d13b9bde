import { readFile } from 'node:fs/promises';
import { ErrorCodes } from '@reel/sdk';
import { describe, expect, it } from 'vitest';
import { CliErrorCodes } from '../src/cli/args.ts';
import { ServerErrorCodes, STATUS_BY_CODE } from '../src/errors.ts';

const root = new URL('../../../docs/', import.meta.url);
const serverDoc = await readFile(new URL('server.md', root), 'utf8');
const catalogue = await readFile(new URL('errors.md', root), 'utf8');

describe('docs/errors.md, the one catalogue', () => {
  const part = (heading: string, next?: string) =>
    catalogue.slice(
      catalogue.indexOf(`\n## ${heading}\n`),
      next ? catalogue.indexOf(`\n## ${next}\n`) : undefined,
    );
  const serverPart = part('Codes of the HTTP server', 'Codes of the CLI');
  const codesOf = (text: string) => [...text.matchAll(/^### (REEL_[A-Z_]+)$/gm)].map((m) => m[1]);

  it('has a section for every server error code, in its server part, and none for a code that does not exist', () => {
    expect(codesOf(serverPart).sort()).toEqual(Object.values(ServerErrorCodes).sort());
  });

  it("has a section for each of the CLI's own codes, in its CLI part", () => {
    expect(codesOf(part('Codes of the CLI')).sort()).toEqual(Object.values(CliErrorCodes).sort());
  });

  it('has no server code that is also an SDK code, and documents every code the server answers with', () => {
    const sdk = new Set<string>(Object.values(ErrorCodes));
    expect(Object.values(ServerErrorCodes).filter((c) => sdk.has(c))).toEqual([]);
    const headings = new Set([...catalogue.matchAll(/^#{2,3} (REEL_[A-Z_]+)$/gm)].map((m) => m[1]));
    expect(Object.keys(STATUS_BY_CODE).filter((c) => !headings.has(c))).toEqual([]);
  });

  it('leaves no error code section in docs/server.md', () => {
    expect(serverDoc.match(/^#+ REEL_[A-Z_]+$/gm)).toBeNull();
  });
});

describe('docs/server.md', () => {
  it('lists every code the server answers with in its status table', () => {
    const table = serverDoc.slice(
      serverDoc.search(/^\| status +\| codes +\| when +\|$/m),
      serverDoc.indexOf('Why 400 and 422'),
    );
    for (const [code, status] of Object.entries(STATUS_BY_CODE)) {
      const row = table.split('\n').find((line) => line.includes(`\`${code}\``));
      expect(row, code).toMatch(new RegExp(`^\\| ${status} +\\|`));
    }
  });
});
