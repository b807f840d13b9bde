import { ErrorCodes } from '@reel/sdk';
import { reelError } from '../errors.ts';

/**
 * What a hook's values are read from: the JSON body (`B`, as the hook's `body` check returned it),
 * the headers, the raw bytes.
 */
export interface HookRequest<B = unknown> {
  body: B;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}

/**
 * A function of the request. Declared as a method so that a hook of any body type fits in
 * `Record<string, HookOptions>`; each is only ever called with what its own hook's `body` returned.
 */
type HookFunction<B> = { read(request: HookRequest<B>): unknown }['read'];

/**
 * Where a value comes from: a JSON pointer into the body (RFC 6901: `''` is the whole body,
 * `/data/object/id` a member), a request header, or a function of the request.
 */
export type HookValue<B = unknown> = string | { header: string } | HookFunction<B>;

/**
 * How a provider signs its deliveries: an HMAC-SHA256 of the raw body with a shared secret.
 * `hmac`: the header holds `prefix` + the digest (GitHub: `X-Hub-Signature-256: sha256=<hex>`).
 * `stripe`: the header holds `t=<unix seconds>,v1=<hex>` over `<t>.<body>`, refused when `t` is
 * further than `toleranceSeconds` from now (a replay).
 */
export interface HookSignature {
  secret: string;
  /** The header with the signature, e.g. `x-hub-signature-256` or `stripe-signature`. */
  header: string;
  /** Default `hmac`. */
  scheme?: 'hmac' | 'stripe';
  /** How the digest is written, for `hmac`. Default `hex`. */
  encoding?: 'hex' | 'base64';
  /** What precedes the digest, for `hmac`, e.g. `sha256=`. Default none. */
  prefix?: string;
  /** For `stripe`: how far the signed time may be from the server's. Default 300. */
  toleranceSeconds?: number;
}

/** The options of every hook, whatever its body type. */
interface HookFields<B> {
  /** The workflow type to start; a hook that signals only (`signal.start: false`) needs none. */
  workflowType?: string;
  /** Checked before anything else; a delivery that fails it starts nothing (401). */
  signature: HookSignature;
  /** The provider's id for the delivery, the same on a redelivery, e.g. `{ header: 'x-github-delivery' }` or `'/id'`. */
  deliveryId: HookValue<B>;
  /** The workflow id. Default `<hook name>-<delivery id>`, so a redelivery finds the run it started. */
  workflowId?: HookValue<B>;
  /** The workflow's input. Default the whole body. */
  input?: HookValue<B>;
  /**
   * Signal-with-start: signal the open run with this id (starting it first if there is none) with
   * `payload` (default the whole body), once per delivery id. Without it, the hook only starts.
   * `start: false` signals only: a delivery for an id with no open run starts nothing and is
   * answered 404 `REEL_WORKFLOW_NOT_FOUND` (409 `REEL_WORKFLOW_CLOSED` once it has closed).
   */
  signal?: { name: string; payload?: HookValue<B>; start?: boolean };
}

/**
 * A named webhook trigger: `POST /v1/hooks/<name>` starts (or signals) a workflow. `B` is the type
 * of the body its functions read, and takes a `body` check that returns it: a typed body is always
 * a checked one.
 * @example
 * const payments: HookOptions<PaymentEvent> = {
 *   workflowType: 'paymentFlow',
 *   signature: { secret, header: 'X-Signature', prefix: 'sha256=' },
 *   body: parsePaymentEvent, // throws on a body that is not a PaymentEvent: 400, nothing starts
 *   deliveryId: '/id',
 *   workflowId: (request) => `invoice-${request.body.data.invoice.id}`,
 * };
 */
export type HookOptions<B = unknown> = HookFields<B> &
  (unknown extends B ? { body?: HookBodyCheck<B> } : { body: HookBodyCheck<B> });

/**
 * Checks the parsed JSON body and returns it as `B` (a zod schema's `parse`, or a function of your
 * own); throwing refuses the delivery, 400 `REEL_INVALID_REQUEST` with the error's message, before
 * anything is read from it, started or signalled.
 */
export type HookBodyCheck<B> = (body: unknown) => B;

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const fail = (message: string) => reelError(ErrorCodes.INVALID_ARGUMENT, message);

/** Checks every hook's options when the server is built, so a typo fails at start, not at the first delivery. */
export function checkHooks(hooks: Record<string, HookOptions>): Map<string, HookOptions> {
  if (typeof hooks !== 'object' || hooks === null)
    throw fail('hooks must be an object: { <name>: { ... } }.');
  for (const [name, hook] of Object.entries(hooks)) {
    const where = `Hook '${name}'`;
    if (!NAME.test(name)) throw fail(`${where}: a hook name is 1 to 64 letters, digits, '-' or '_'.`);
    const starts = hook?.signal?.start !== false;
    if (
      (starts || hook.workflowType !== undefined) &&
      (typeof hook?.workflowType !== 'string' || hook.workflowType === '')
    )
      throw fail(`${where} needs workflowType, the workflow type it starts.`);
    checkSignature(hook.signature, where);
    checkValue(hook.deliveryId, `${where}: deliveryId`, true);
    checkValue(hook.workflowId, `${where}: workflowId`, false);
    checkValue(hook.input, `${where}: input`, false);
    if (hook.body !== undefined && typeof hook.body !== 'function')
      throw fail(`${where}: body must be a function that checks the parsed body and returns it.`);
    if (hook.signal !== undefined) {
      if (typeof hook.signal?.name !== 'string' || hook.signal.name === '')
        throw fail(`${where}: signal needs a name.`);
      if (hook.workflowId === undefined)
        throw fail(`${where}: a hook that signals needs workflowId, the one run its deliveries signal.`);
      checkValue(hook.signal.payload, `${where}: signal.payload`, false);
      if (![undefined, true, false].includes(hook.signal.start))
        throw fail(`${where}: signal.start is true or false, not ${JSON.stringify(hook.signal.start)}.`);
      if (hook.signal.start === false && hook.input !== undefined)
        throw fail(`${where}: a hook with signal.start false never starts a run, so it takes no input.`);
    }
  }
  return new Map(Object.entries(hooks));
}

function checkSignature(s: HookSignature | undefined, where: string): void {
  if (typeof s?.secret !== 'string' || s.secret === '' || typeof s.header !== 'string' || s.header === '')
    throw fail(
      `${where} needs signature: { secret, header }; a hook is authenticated by its signature only.`,
    );
  if (![undefined, 'hmac', 'stripe'].includes(s.scheme))
    throw fail(`${where}: signature.scheme is 'hmac' or 'stripe', not ${JSON.stringify(s.scheme)}.`);
  if (![undefined, 'hex', 'base64'].includes(s.encoding))
    throw fail(`${where}: signature.encoding is 'hex' or 'base64', not ${JSON.stringify(s.encoding)}.`);
  if (s.toleranceSeconds !== undefined && !(Number.isFinite(s.toleranceSeconds) && s.toleranceSeconds > 0))
    throw fail(`${where}: signature.toleranceSeconds must be a positive number of seconds.`);
}

function checkValue(value: HookValue | undefined, where: string, required: boolean): void {
  if (value === undefined && !required) return;
  const ok =
    typeof value === 'function' ||
    (typeof value === 'string' && (value === '' || value.startsWith('/'))) ||
    (typeof value === 'object' && value !== null && typeof value.header === 'string' && value.header !== '');
  if (!ok)
    throw fail(
      `${where} must be a JSON pointer into the body ('' or '/a/b'), { header: '<name>' }, or a function of the request.`,
    );
}
