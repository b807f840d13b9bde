import { ErrorCodes, ReelError } from '@reel/sdk';
import type { FastifyInstance } from 'fastify';
import { reelError, ServerErrorCodes } from '../errors.ts';
import { HookDeliveries } from '../hooks/deliveries.ts';
import type { HookOptions, HookRequest, HookValue } from '../hooks/hook-options.ts';
import { describeValue, readValue } from '../hooks/hook-values.ts';
import { signatureProblem } from '../hooks/signature.ts';
import { errorResponses } from '../schemas.ts';
import type { RouteContext } from './context.ts';

/**
 * `POST /v1/hooks/:name`: a provider's webhook starts (or signals) a workflow. No API key: the
 * signature over the raw body is the authentication, so the body is kept as bytes until checked.
 */
export async function hookRoutes(
  app: FastifyInstance,
  { client, pool, bodyLimit }: RouteContext,
  hooks: Map<string, HookOptions>,
): Promise<void> {
  const signals = [...hooks.values()].some((hook) => hook.signal);
  if (signals && !pool) {
    throw reelError(
      ErrorCodes.INVALID_ARGUMENT,
      'A hook that signals keeps its deliveries in Postgres: give the server a Client on a PostgresStore, or { connectionString }.',
    );
  }
  const deliveries = pool && new HookDeliveries(pool);
  await app.register(async (scope) => {
    // Only here: JSON kept as bytes, since a re-serialised body would not match its signature.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
      done(null, body),
    );
    scope.post<{ Params: { name: string }; Body: Buffer }>(
      '/v1/hooks/:name',
      {
        bodyLimit,
        config: { scope: 'public' },
        schema: {
          summary: 'Deliver a webhook to a named trigger',
          description:
            "Needs no API key: the delivery's signature (configured per hook) is its authentication. Starts the hook's workflow, or signals it (signal-with-start), once per delivery id. A hook that only signals answers 404 REEL_WORKFLOW_NOT_FOUND (409 REEL_WORKFLOW_CLOSED) when the id has no open run, and records nothing, so a retry is handled afresh.",
          tags: ['hooks'],
          security: [],
          params: {
            type: 'object',
            properties: { name: { type: 'string', minLength: 1, maxLength: 64 } },
            required: ['name'],
          },
          response: {
            '2xx': {
              type: 'object',
              properties: {
                workflowId: { type: 'string' },
                runId: { type: 'string' },
                created: { type: 'boolean', description: 'Whether this delivery started the run.' },
                duplicate: { type: 'boolean', description: 'A delivery id seen before: nothing done.' },
              },
              required: ['workflowId', 'duplicate'],
            },
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const { name } = request.params;
        const hook = hooks.get(name);
        if (!hook) {
          throw reelError(
            ServerErrorCodes.WEBHOOK_NOT_FOUND,
            `No webhook named '${name}' is configured on this server; check the URL against the server's hooks.`,
          );
        }
        const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const problem = signatureProblem(
          hook.signature,
          request.headers[hook.signature.header.toLowerCase()],
          rawBody,
          Date.now(),
        );
        if (problem) {
          throw reelError(
            ServerErrorCodes.WEBHOOK_SIGNATURE_INVALID,
            `The delivery to webhook '${name}' is not signed as configured: ${problem}. Nothing was started; check the shared secret on both sides.`,
          );
        }
        const hookRequest: HookRequest = {
          body: checkBody(hook, parseBody(rawBody, name), name),
          headers: request.headers,
          rawBody,
        };
        const deliveryId = idOf(hook.deliveryId, hookRequest, 'deliveryId', name);
        const workflowId = hook.workflowId
          ? idOf(hook.workflowId, hookRequest, 'workflowId', name)
          : `${name}-${deliveryId}`;
        const input = readValue(hook.input ?? '', hookRequest);
        if (!hook.signal) {
          // The workflow id is the idempotency key: a redelivery finds the run the first one started.
          const handle = await client.start(hook.workflowType as string, input as never, { id: workflowId });
          return reply
            .status(handle.created ? 201 : 200)
            .send({ workflowId, runId: handle.runId, created: handle.created, duplicate: !handle.created });
        }
        const d = deliveries as HookDeliveries;
        if (!(await d.claim(name, deliveryId)))
          return reply.status(200).send({ workflowId, duplicate: true });
        const { signal } = hook;
        try {
          const payload = readValue(signal.payload ?? '', hookRequest);
          let run: { runId?: string; created: boolean } = { created: false };
          if (signal.start === false) await client.signal(workflowId, signal.name, payload);
          else
            run = await client.signalWithStart(
              hook.workflowType as string,
              input as never,
              { id: workflowId },
              signal.name,
              payload,
            );
          await d.done(name, deliveryId);
          return reply
            .status(202)
            .send({ workflowId, runId: run.runId, created: run.created, duplicate: false });
        } catch (err) {
          // Not recorded: a redelivery is handled afresh, and signals the run once it is open.
          await d.release(name, deliveryId).catch(() => undefined);
          throw signal.start === false ? noOpenRun(err, name, workflowId, signal.name) : err;
        }
      },
    );
  });
}

function parseBody(rawBody: Buffer, name: string): unknown {
  if (rawBody.length === 0) return undefined;
  try {
    return JSON.parse(rawBody.toString('utf8'));
  } catch (err) {
    throw reelError(
      ServerErrorCodes.INVALID_REQUEST,
      `The delivery to webhook '${name}' is not JSON: ${(err as Error).message}.`,
    );
  }
}

/** The body as the hook's `body` check returns it; its refusal is the sender's mistake (400). */
function checkBody(hook: HookOptions, body: unknown, name: string): unknown {
  if (!hook.body) return body;
  try {
    return hook.body(body);
  } catch (err) {
    throw reelError(
      ServerErrorCodes.INVALID_REQUEST,
      `The delivery to webhook '${name}' does not have the body the hook expects: ${(err as Error)?.message ?? String(err)}. Nothing was started or signalled.`,
    );
  }
}

/** For a hook that only signals: no open run to signal, said in terms of the hook. */
function noOpenRun(err: unknown, name: string, workflowId: string, signal: string): unknown {
  if (!(err instanceof ReelError)) return err;
  const onlySignals = `Webhook '${name}' only signals (signal.start is false)`;
  if (err.code === ErrorCodes.WORKFLOW_NOT_FOUND)
    return reelError(
      err.code,
      `${onlySignals}, and no workflow ${workflowId} exists to take '${signal}'. Nothing was started or recorded: start the run, then send the delivery again (a provider's retry will).`,
    );
  if (err.code === ErrorCodes.WORKFLOW_CLOSED)
    return reelError(
      err.code,
      `${onlySignals}, and workflow ${workflowId} has closed, so it cannot take '${signal}'. Nothing was started or recorded; a redelivery gets the same answer until a new run of ${workflowId} is open.`,
    );
  return err;
}

/** A delivery or workflow id: a non-empty string (a number is taken as its digits). */
function idOf(source: HookValue, request: HookRequest, what: string, name: string): string {
  const value = readValue(source, request);
  if ((typeof value === 'string' && value !== '') || typeof value === 'number') return String(value);
  throw reelError(
    ServerErrorCodes.INVALID_REQUEST,
    `Webhook '${name}' takes its ${what} from ${describeValue(source)}, and this delivery has ${value === undefined ? 'none' : `no string there (${typeof value})`}.`,
  );
}
