import { createHmac, timingSafeEqual } from 'node:crypto';
import type { HookSignature } from './hook-options.ts';

const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * Why a delivery's signature does not hold, or undefined when it does. Digests are compared with
 * `timingSafeEqual` over the raw body, so neither a reformatted body nor response times let a
 * forger through.
 */
export function signatureProblem(
  signature: HookSignature,
  header: string | string[] | undefined,
  rawBody: Buffer,
  nowMs: number,
): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === '') return `it has no ${signature.header} header`;
  const mac = (...parts: (string | Buffer)[]) => {
    const hmac = createHmac('sha256', signature.secret);
    for (const part of parts) hmac.update(part);
    return hmac;
  };
  if (signature.scheme !== 'stripe') {
    const expected = (signature.prefix ?? '') + mac(rawBody).digest(signature.encoding ?? 'hex');
    return same(value, expected) ? undefined : `its ${signature.header} header does not match the body`;
  }
  // Stripe: `t=<unix seconds>,v1=<hex>[,v1=<hex>…]` over `<t>.<body>`; several v1 during secret rotation.
  const fields = value.split(',').map((part) => part.trim().split('='));
  const t = fields.find(([k]) => k === 't')?.[1];
  const signatures = fields.filter(([k]) => k === 'v1').map(([, v]) => v ?? '');
  if (t === undefined || !/^\d+$/.test(t) || signatures.length === 0)
    return `its ${signature.header} header is not t=<timestamp>,v1=<signature>`;
  const tolerance = signature.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(nowMs / 1000 - Number(t)) > tolerance)
    return `it was signed at ${new Date(Number(t) * 1000).toISOString()}, more than ${tolerance} s from now (a replay, or a clock off)`;
  const expected = mac(`${t}.`, rawBody).digest('hex');
  // Every candidate is compared, so the time taken does not say which one matched.
  return signatures.map((s) => same(s, expected)).includes(true)
    ? undefined
    : `its ${signature.header} header does not match the body`;
}

/** Constant-time for equal lengths; a digest's length is public (fixed by the scheme). */
function same(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
