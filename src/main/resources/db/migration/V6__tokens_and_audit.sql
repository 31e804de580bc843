-- Bearer tokens (graft.security.mode=token). The secret is never stored: only the SHA-256 of the
-- whole token, found through its non-secret prefix. Revoked tokens keep their row (and their name
-- in the audit log means something), with revoked_at set.
create table api_token (
    id             uuid         primary key,
    name           varchar(255) not null,
    prefix         varchar(8)   not null unique,
    token_sha256   bytea        not null,
    scopes         varchar(64)  not null,
    created_at     timestamptz  not null,
    created_by     varchar(255) not null,
    expires_at     timestamptz,
    revoked_at     timestamptz,
    bootstrap      boolean      not null default false
);
-- A name names one live token, so the audit log's actor is unambiguous among them.
create unique index api_token_live_name_idx on api_token (name) where revoked_at is null;
-- At most one bootstrap token, ever: replicas starting at once race on this index, and the losers
-- find the winner's token.
create unique index api_token_one_bootstrap_idx on api_token (bootstrap) where bootstrap;

-- Every change and every refused call: who, what, on which resource, from where. Changes are
-- written in the transaction of the change itself.
create table audit_event (
    id             bigint       generated always as identity primary key,
    at             timestamptz  not null,
    actor          varchar(255) not null,
    action         varchar(64)  not null,
    resource_type  varchar(32),
    resource_id    varchar(1024),
    detail         varchar(2000),
    remote_addr    varchar(64)
);
create index audit_event_at_idx on audit_event (at desc, id desc);
create index audit_event_actor_idx on audit_event (actor, at desc);
create index audit_event_action_idx on audit_event (action, at desc);
