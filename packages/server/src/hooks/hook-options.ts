import { ErrorCodes } from '@reel/sdk';
import { reelError } from '../errors.ts';

/** What a hook's values are read from: the parsed JSON body, the headers, the raw bytes. */
export interface HookRequest {
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}

/**
 * Where a value comes from: a JSON pointer into the body (RFC 6901: `''` is the whole body,
 * `/data/object/id` a member), a request header, or a function of the request.
 */
export type HookValue = string | { header: string } | ((request: HookRequest) => unknown);

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

/** A named webhook trigger: `POST /v1/hooks/<name>` starts (or signals) a workflow. */
export interface HookOptions {
  /** The workflow type to start. */
  workflowType: string;
  /** Checked before anything else; a delivery that fails it starts nothing (401). */
  signature: HookSignature;
  /** The provider's id for the delivery, the same on a redelivery, e.g. `{ header: 'x-github-delivery' }` or `'/id'`. */
  deliveryId: HookValue;
  /** The workflow id. Default `<hook name>-<delivery id>`, so a redelivery finds the run it started. */
  workflowId?: HookValue;
  /** The workflow's input. Default the whole body. */
  input?: HookValue;
  /**
   * Signal-with-start: signal the open run with this id (starting it first if there is none) with
   * `payload` (default the whole body), once per delivery id. Without it, the hook only starts.
   */
  signal?: { name: string; payload?: HookValue };
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const fail = (message: string) => reelError(ErrorCodes.INVALID_ARGUMENT, message);

/** Checks every hook's options when the server is built, so a typo fails at start, not at the first delivery. */
export function checkHooks(hooks: Record<string, HookOptions>): Map<string, HookOptions> {
  if (typeof hooks !== 'object' || hooks === null)
    throw fail('hooks must be an object: { <name>: { ... } }.');
  for (const [name, hook] of Object.entries(hooks)) {
    const where = `Hook '${name}'`;
    if (!NAME.test(name)) throw fail(`${where}: a hook name is 1 to 64 letters, digits, '-' or '_'.`);
    if (typeof hook?.workflowType !== 'string' || hook.workflowType === '')
      throw fail(`${where} needs workflowType, the workflow type it starts.`);
    checkSignature(hook.signature, where);
    checkValue(hook.deliveryId, `${where}: deliveryId`, true);
    checkValue(hook.workflowId, `${where}: workflowId`, false);
    checkValue(hook.input, `${where}: input`, false);
    if (hook.signal !== undefined) {
      if (typeof hook.signal?.name !== 'string' || hook.signal.name === '')
        throw fail(`${where}: signal needs a name.`);
      if (hook.workflowId === undefined)
        throw fail(`${where}: a hook that signals needs workflowId, the one run its deliveries signal.`);
      checkValue(hook.signal.payload, `${where}: signal.payload`, false);
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
