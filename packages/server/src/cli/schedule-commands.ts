import { OVERLAP_POLICIES, type OverlapPolicy, type ScheduleDescription } from '@reel/sdk';
import { json, parse, positional, REMOTE, str, UsageError } from './args.ts';
import { brief, printFields, printJson, printTable, say, when } from './format.ts';
import { remoteClient, subcommand } from './remote.ts';

const SUBCOMMANDS = ['create', 'list', 'describe', 'pause', 'resume', 'trigger', 'delete'] as const;

const OPTIONS = {
  ...REMOTE,
  type: { type: 'string' },
  cron: { type: 'string' },
  timezone: { type: 'string' },
  input: { type: 'string' },
  overlap: { type: 'string' },
  paused: { type: 'boolean' },
} as const;

/** `reel schedule <subcommand>`: `client.schedules` through a running server, with `HttpClient`. */
export async function scheduleCommand(argv: string[]): Promise<void> {
  const [sub, rest] = subcommand('schedule', argv, SUBCOMMANDS);
  const command = `schedule ${sub}`;
  const parsed = parse(command, rest, OPTIONS);
  const { schedules } = remoteClient(parsed);
  const asJson = parsed.values.json === true;
  if (sub === 'list') {
    const all = await schedules.list();
    if (asJson) return printJson({ items: all });
    if (all.length === 0) return say('No schedules.');
    return printTable(
      ['schedule', 'type', 'cron', 'timezone', 'next fire'],
      all.map((s) => [s.id, s.workflowType, s.cron, s.timezone, when(s.nextFireAt) ?? 'paused']),
    );
  }
  const id = positional(parsed, 0, 'schedule-id', command);
  switch (sub) {
    case 'create': {
      const required = (flag: 'type' | 'cron', example: string) => {
        const value = str(parsed, flag);
        if (value === undefined)
          throw new UsageError(`reel schedule create needs --${flag}, e.g. ${example}.`);
        return value;
      };
      const created = await schedules.create({
        id,
        workflow: required('type', '--type dailyReport'),
        cron: required('cron', `--cron '0 9 * * *'`),
        timezone: str(parsed, 'timezone'),
        input: json(parsed, 'input') as never,
        overlap: overlapOf(str(parsed, 'overlap')),
        paused: parsed.values.paused === true,
      });
      return show(created, asJson);
    }
    case 'describe':
      return show(await schedules.describe(id), asJson);
    case 'pause':
    case 'resume': {
      await schedules[sub](id);
      const schedule = await schedules.describe(id);
      if (asJson) return printJson(schedule);
      return say(
        sub === 'pause'
          ? `Paused ${id}; it fires no ticks until resumed.`
          : `Resumed ${id}; next fire ${when(schedule.nextFireAt)}.`,
      );
    }
    case 'trigger': {
      const handle = await schedules.trigger(id);
      if (asJson) return printJson({ workflowId: handle.id, runId: handle.runId });
      return say(`Triggered ${id}: workflow ${handle.id} (run ${handle.runId})`);
    }
    case 'delete':
      await schedules.delete(id);
      return asJson ? printJson({ ok: true }) : say(`Deleted ${id}; the runs it started go on.`);
  }
}

function overlapOf(text: string | undefined): OverlapPolicy | undefined {
  if (text === undefined || OVERLAP_POLICIES.includes(text as OverlapPolicy)) return text as OverlapPolicy;
  throw new UsageError(
    `--overlap must be one of ${OVERLAP_POLICIES.join(', ')}, not ${JSON.stringify(text)}.`,
  );
}

/** The schedule as JSON, or as `key: value` lines, one `run` line per recent run. */
function show(s: ScheduleDescription, asJson: boolean): void {
  if (asJson) printJson(s);
  else
    printFields([
      ['schedule', s.id],
      ['type', s.workflowType],
      ['cron', `${s.cron} (${s.timezone})`],
      ['overlap', s.overlap],
      ['input', brief(s.input, 200)],
      ['status', s.paused ? 'paused' : 'active'],
      ['next fire', when(s.nextFireAt)],
      ['buffered', when(s.bufferedAt)],
      ...s.recentRuns.map(({ workflowId, runId }): [string, string] => [
        'run',
        `${workflowId} (run ${runId})`,
      ]),
      ['created', when(s.createdAt)],
      ['updated', when(s.updatedAt)],
    ]);
}
