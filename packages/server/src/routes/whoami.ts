import type { FastifyInstance } from 'fastify';
import type { RequestAuthenticator } from '../auth.ts';

/**
 * What the presented key or token may do, so a UI shows only the actions it can take. Public: it answers
 * an unknown or missing key with no scopes rather than 401, and reveals nothing but that key's scopes.
 */
export function whoamiRoutes(
  app: FastifyInstance,
  authenticate: RequestAuthenticator,
  keysRequired: boolean,
): void {
  app.get(
    '/v1/whoami',
    {
      config: { scope: 'public' },
      schema: {
        summary: "The scopes of the request's API key",
        description:
          'Every scope when the server has no keys; none for a missing or unknown key. Needs no key.',
        tags: ['health'],
        response: {
          200: {
            type: 'object',
            properties: {
              keysRequired: { type: 'boolean', description: 'Whether the server has API keys configured.' },
              scopes: { type: 'array', items: { type: 'string', enum: ['read', 'write', 'admin'] } },
            },
            required: ['keysRequired', 'scopes'],
          },
        },
      },
    },
    async (request) => ({
      keysRequired,
      scopes: (await authenticate(request.headers.authorization).catch(() => undefined)) ?? [],
    }),
  );
}
