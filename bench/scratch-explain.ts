import pg from 'pg';
import { PostgresStore } from '../packages/sdk/src/index.ts';
import { emptySamples, runOne } from './src/size/live.ts';

const pool = new pg.Pool({ connectionString: process.env.URL, max: 2 });
pool.on('connect', (c) => {
  c.query(
    `load 'auto_explain'; set auto_explain.log_min_duration = 0; set auto_explain.log_analyze = on; set auto_explain.log_buffers = on`,
  );
});
const store = new PostgresStore({ pool });
const s = emptySamples();
for (let i = 0; i < 40; i++) await runOne(store, 'live-0', s);
console.log(s.close.map((x) => x.toFixed(1)).join(' '));
await pool.end();
