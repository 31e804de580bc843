-- Events: webhooks, and the outbox they are delivered from.
--
-- An event row is written in the transaction of the change it reports (graft_record_event below,
-- called by the services and by the run trigger), together with one delivery row per webhook that
-- subscribes to its type. A dispatcher in any replica claims due deliveries with
-- FOR UPDATE SKIP LOCKED under a lease, so a dead dispatcher's claim expires and nothing is lost.

create table webhook (
    id          uuid          primary key,
    url         varchar(2048) not null,
    events      text[]        not null,
    -- Kept as given: every delivery is signed with it (HMAC-SHA256). Never returned by the API.
    secret      varchar(512)  not null,
    created_at  timestamptz   not null,
    created_by  varchar(255)  not null
);

create table outbox_event (
    id          bigint        generated always as identity primary key,
    -- The writing transaction's id: events are delivered in (xid, id) order, and only once every
    -- transaction older than the event has ended, so an event committed late can never be
    -- overtaken by a younger one that was delivered first.
    xid         xid8          not null default pg_current_xact_id(),
    type        varchar(32)   not null,
    payload     jsonb         not null,
    -- Wall-clock time of the recording (not the transaction's start), for latency measurements.
    created_at  timestamptz   not null default clock_timestamp()
);

create table webhook_delivery (
    -- The X-Graft-Delivery id: the same on every attempt, so receivers can drop duplicates.
    id                uuid          primary key,
    webhook_id        uuid          not null references webhook (id) on delete cascade,
    event_id          bigint        not null references outbox_event (id),
    event_xid         xid8          not null,
    -- PENDING until a 2xx answer (DELIVERED) or until the attempts run out (FAILED).
    state             varchar(16)   not null default 'PENDING',
    attempts          integer       not null default 0,
    next_attempt_at   timestamptz   not null,
    lease_owner       varchar(255),
    lease_expires_at  timestamptz,
    created_at        timestamptz   not null,
    finished_at       timestamptz,
    unique (webhook_id, event_id)
);
-- The head of each webhook's queue: its oldest pending delivery.
create index webhook_delivery_head_idx on webhook_delivery (webhook_id, event_xid, event_id)
    where state = 'PENDING';

-- Every attempt, written when it starts (so one cut short by a dead dispatcher still shows) and
-- completed with the answer: status, a short excerpt of the body, or the error.
create table webhook_attempt (
    id                bigint        generated always as identity primary key,
    delivery_id       uuid          not null references webhook_delivery (id) on delete cascade,
    attempt           integer       not null,
    dispatcher        varchar(255)  not null,
    started_at        timestamptz   not null,
    duration_ms       integer,
    status_code       integer,
    error             varchar(2000),
    response_excerpt  varchar(4096)
);
create index webhook_attempt_delivery_idx on webhook_attempt (delivery_id, attempt);

-- Records an event in the calling transaction and queues one delivery per subscribed webhook.
create function graft_record_event(event_type text, event_payload jsonb) returns bigint
language plpgsql as $$
declare
    event_id bigint;
begin
    insert into outbox_event (type, payload) values (event_type, event_payload)
        returning id into event_id;
    insert into webhook_delivery (id, webhook_id, event_id, event_xid, next_attempt_at, created_at)
        select gen_random_uuid(), w.id, event_id, pg_current_xact_id(), clock_timestamp(),
               clock_timestamp()
          from webhook w
         where event_type = any (w.events);
    return event_id;
end
$$;

-- A run ends in many places (the executor, the worker's fault handling, a cancel of a queued run,
-- the sweep of abandoned runs); a trigger records run.succeeded, run.failed and run.cancelled in
-- the very statement that ends the run, whichever path takes it there.
create function graft_run_ended() returns trigger
language plpgsql as $$
begin
    perform graft_record_event(
        'run.' || lower(new.status),
        jsonb_build_object(
            'runId', new.id,
            'status', new.status,
            'error', new.error,
            'attempts', new.attempts,
            'finishedAt', to_char(coalesce(new.finished_at, now()) at time zone 'UTC',
                                  'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            'modelVersion', case when new.model_name is null then null
                                 else jsonb_build_object('model', new.model_name,
                                                         'version', new.model_version) end));
    return null;
end
$$;

create trigger warm_start_run_ended
    after update of status on warm_start_run
    for each row
    when (old.status is distinct from new.status
          and new.status in ('SUCCEEDED', 'FAILED', 'CANCELLED'))
    execute function graft_run_ended();
