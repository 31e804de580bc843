-- Idempotency-Key for creating calls that have no row of their own to carry it (uploads): the same
-- key and request answer as the first time; the same key with another request is a conflict.
create table idempotency_key (
    scope         varchar(32)  not null,
    key           varchar(255) not null,
    fingerprint   varchar(64)  not null,
    created       boolean      not null,
    resource_id   uuid         not null,
    created_at    timestamptz  not null default now(),
    primary key (scope, key)
);
