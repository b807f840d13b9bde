import { createTraceState, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { runLinks, runParentContext, traceCarrier } from '../src/tracing.ts';

const traceId = '0af7651916cd43dd8448eb211c80319c';
const spanId = 'b7ad6b7169203331';

describe('the trace context stored with a run', () => {
  it('round-trips a span context through traceparent and tracestate', () => {
    const span = trace.wrapSpanContext({
      traceId,
      spanId,
      traceFlags: 1,
      traceState: createTraceState('vendor=a,other=b'),
    });
    const carrier = traceCarrier(span);
    expect(carrier).toEqual({ traceparent: `00-${traceId}-${spanId}-01`, tracestate: 'vendor=a,other=b' });
    const parent = trace.getSpanContext(runParentContext({ parent: carrier }));
    expect(parent).toMatchObject({ traceId, spanId, traceFlags: 1, isRemote: true });
    expect(parent?.traceState?.serialize()).toBe('vendor=a,other=b');
    expect(runLinks({ link: carrier }).map((l) => l.context.spanId)).toEqual([spanId]);
  });

  it('keeps an unsampled flag, so a sampler that follows the parent drops the run as the client did', () => {
    const carrier = traceCarrier(trace.wrapSpanContext({ traceId, spanId, traceFlags: 0 }));
    expect(carrier).toEqual({ traceparent: `00-${traceId}-${spanId}-00` });
    expect(trace.getSpanContext(runParentContext({ parent: carrier }))?.traceFlags).toBe(0);
  });

  it('stores nothing for a no-op span, and reads no parent from a missing or malformed carrier', () => {
    expect(traceCarrier(trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId, traceFlags: 1 }))).toBe(
      undefined,
    );
    expect(runParentContext(undefined)).toBe(ROOT_CONTEXT);
    for (const traceparent of [
      '',
      'garbage',
      `01-${traceId}-${spanId}-01`,
      `00-${'0'.repeat(32)}-${spanId}-01`,
    ])
      expect(runParentContext({ parent: { traceparent } })).toBe(ROOT_CONTEXT);
    expect(runLinks({})).toEqual([]);
  });
});
