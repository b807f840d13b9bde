export {
  type EmbeddedPostgresOptions,
  type EmbeddedPostgresServer,
  startEmbeddedPostgres,
} from './embedded-postgres.ts';
