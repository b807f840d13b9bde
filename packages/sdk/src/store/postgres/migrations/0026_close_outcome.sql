-- A run's close is told on `reel_outcome` with the run and how it closed: `{"id", "run", "status"}`,
-- and `"outcome": {"result"?, "error"?}` when the whole payload stays under 1,000 bytes (a key is
-- left out where the run has no such value). A client waiting for that run's result takes it from
-- there, with no read of the run. A client of the previous version listens on `reel_closed`, where
-- only a worker of that version still tells closes (calling `notify_closed` with the workflow id
-- alone): during a rolling deploy such a client hears of a close made by this version at its next
-- poll (2 s), as of a notification lost.
create function reel.notify_closed(workflow_id text, run_id uuid, status text, result json, error json)
returns void language plpgsql as $$
declare
  payload text := json_build_object('id', workflow_id, 'run', run_id, 'status', status)::text;
  outcome text := '{' || concat_ws(',', '"result":' || result::text, '"error":' || error::text) || '}';
begin
  if octet_length(payload) + octet_length(outcome) < 1000 then
    payload := left(payload, -1) || ', "outcome" : ' || outcome || '}';
  end if;
  perform pg_notify('reel_outcome', payload);
  if strpos(workflow_id, '@') > 0 then
    perform pg_notify('reel_tick_closed', workflow_id);
  end if;
end $$;
