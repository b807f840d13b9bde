import { HttpClient } from '../http-client.ts';
import { type Parsed, str, UsageError } from './args.ts';

/** Where the commands that drive a running server find it when neither `--url` nor `REEL_URL` says. */
export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** The subcommand of `reel <group>` and the arguments after it, or a usage error listing the choices. */
export function subcommand<T extends string>(
  group: string,
  argv: string[],
  names: readonly T[],
): [T, string[]] {
  const [sub, ...rest] = argv;
  if (!names.includes(sub as T)) {
    throw new UsageError(
      `reel ${group} needs one of: ${names.join(', ')}${sub ? ` (not ${JSON.stringify(sub)})` : ''}.`,
    );
  }
  return [sub as T, rest];
}

/** The server's client: `--url` (or `REEL_URL`) and `--api-key` (or `REEL_API_KEY`). */
export function remoteClient(parsed: Parsed): HttpClient {
  return new HttpClient({
    baseUrl: str(parsed, 'url') ?? process.env.REEL_URL ?? DEFAULT_URL,
    apiKey: str(parsed, 'api-key') ?? process.env.REEL_API_KEY,
  });
}
