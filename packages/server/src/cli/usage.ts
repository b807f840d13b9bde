/** `reel --help`. docs/cli.md has every command with an example. */
export const USAGE = `reel: run and drive Reel durable workflows

Usage:
  reel dev --workflows <module> [--port 8080] [--host 127.0.0.1] [--dir .reel] [--hooks <module>]
      Embedded Postgres under ./.reel, the API server and a worker in one process.
  reel server [--database-url URL] [--read-database-url URL] [--wait-for-database 2m] [--host 127.0.0.1] [--port 8080] [--api-keys KEYS] [--allow-insecure] [--public-docs]
              [--jwt-secret S | --jwt-jwks-url URL] [--jwt-issuer I] [--jwt-audience A] [--jwt-scope-claim C]
              [--jwt-scope-prefix P] [--hooks <module>]
      The HTTP API (/v1, /docs, /metrics) against Postgres. --hooks: a module exporting { hooks } (webhook triggers).
  reel worker --workflows <module> [--database-url URL] [--wait-for-database 2m] [--concurrency N] [--metrics-port PORT] [--metrics-host HOST]
      Runs the module's workflows and activities; drains on Ctrl-C or SIGTERM. --metrics-port serves /metrics and /healthz.
  reel migrate [--database-url URL] [--wait-for-database 2m] [--print-sql]
      Applies the schema migrations the database has not seen; --print-sql prints their SQL instead.
  reel workflow <command> ... [--url URL] [--api-key KEY] [--json]
      start <type> [--id ID] [--input JSON] [--fail-if-exists] [--start-delay 10m]
            [--execution-timeout 1h] [--attributes JSON] [--priority 0-10]
            [--concurrency-key K --concurrency-limit N]
            [--debounce-key K --debounce-period 10s [--debounce-max-wait 1m]]
            [--throttle-key K --throttle-period 1m]
      signal <id> <name> [--payload JSON]
      query <id> <name> [--args JSON-array] [--timeout 10s]
      update <id> <name> [JSON] [--update-id ID] [--timeout 30s]
      cancel <id> [--reason TEXT]
      terminate <id> [--reason TEXT]
      retry <id>
      reset <id> --to-event SEQ [--run-id UUID] [--reason TEXT]
      describe <id> [--run-id UUID]
      list [--status running,parked] [--type TYPE] [--attributes JSON] [--created-after T]
           [--created-before T] [--latest] [--limit N] [--cursor C]
      runs <id> [--limit N]
      history <id> [--run-id UUID]
      result <id> [--run-id UUID] [--timeout 30s]
  reel batch <command> ... [--url URL] [--api-key KEY] [--json]
      cancel [FILTER] [--reason TEXT] [--id ID] [--page-size 100] [--dry-run] [--wait]
      terminate [FILTER] [--reason TEXT] [--id ID] [--page-size 100] [--dry-run] [--wait]
      signal <name> [FILTER] [--payload JSON] [--id ID] [--page-size 100] [--dry-run] [--wait]
      describe <batch-id>
      resume <batch-id> [--wait]
      stop <batch-id>
    FILTER: [--status running,parked] [--type TYPE] [--attributes JSON] [--created-after DATE] [--created-before DATE]
            [--latest]
  reel schedule <command> ... [--url URL] [--api-key KEY] [--json]
      create <schedule-id> --type TYPE --cron EXPR [--timezone TZ] [--input JSON] [--overlap skip|bufferOne|allowAll] [--paused]
      list
      describe <schedule-id>
      pause <schedule-id>
      resume <schedule-id>
      trigger <schedule-id>
      delete <schedule-id>

A <module> exports { workflows, activities }: export const workflows = { orderWorkflow };

Environment: DATABASE_URL, REEL_URL (default http://127.0.0.1:8080), REEL_API_KEY,
REEL_API_KEYS ("key1:read,write;key2:admin"), REEL_JWT_SECRET, REEL_JWT_JWKS_URL (and the other
--jwt-* flags as REEL_JWT_*), REEL_HOOKS, REEL_HOST, REEL_PORT, REEL_METRICS_PORT,
REEL_METRICS_HOST, REEL_LOG_LEVEL (debug, info, warn, error, silent; default info),
REEL_WAIT_FOR_DATABASE (how long server, worker and migrate wait for Postgres to come up).
Exit codes: 0 done, 1 failed, 2 wrong usage.
`;
