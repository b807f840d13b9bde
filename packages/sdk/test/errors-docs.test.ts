import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { ErrorCodes } from '../src/index.ts';

const DOC = new URL('../../../docs/errors.md', import.meta.url);

/** The `## REEL_*` headings of a markdown file, ignoring fenced code blocks. */
function codeHeadings(markdown: string): { codes: string[]; malformed: string[] } {
  const prose = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  const codes: string[] = [];
  const malformed: string[] = [];
  for (const [line] of prose.matchAll(/^##[ \t]+REEL_.*$/gm)) {
    const match = /^## (REEL_[A-Z0-9_]+)$/.exec(line.trimEnd());
    if (match) codes.push(match[1] as string);
    else malformed.push(line);
  }
  return { codes, malformed };
}

it('docs/errors.md has exactly one section per ErrorCodes value', () => {
  const { codes, malformed } = codeHeadings(readFileSync(DOC, 'utf8'));
  const documented = new Set(codes);
  const defined = new Set<string>(Object.values(ErrorCodes));

  const problems = [
    ...[...defined]
      .filter((c) => !documented.has(c))
      .map((c) => `${c} is in ErrorCodes but has no "## ${c}" section in docs/errors.md`),
    ...[...documented]
      .filter((c) => !defined.has(c))
      .map(
        (c) => `"## ${c}" is in docs/errors.md but ${c} is not in ErrorCodes (packages/sdk/src/errors.ts)`,
      ),
    ...codes
      .filter((c, i) => codes.indexOf(c) !== i)
      .map((c) => `"## ${c}" appears more than once in docs/errors.md`),
    ...malformed.map(
      (line) => `"${line}" in docs/errors.md: a code heading must be exactly "## REEL_SOME_CODE"`,
    ),
  ];
  expect(problems, `docs/errors.md and ErrorCodes disagree:\n  ${problems.join('\n  ')}`).toEqual([]);
});
