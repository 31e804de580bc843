-- The registry: named models with immutable numbered versions, their artifacts and movable aliases.
create table model (
    name        varchar(255) primary key,
    created_at  timestamptz  not null
);

create table model_version (
    model_name         varchar(255) not null references model (name),
    version            integer      not null,
    created_at         timestamptz  not null,
    description        text,
    tags               text         not null,
    run_id             uuid         not null,
    checkpoint_id      uuid         not null,
    checkpoint_sha256  varchar(64)  not null,
    architecture_id    uuid         not null,
    options            text         not null,
    summary            text         not null,
    primary key (model_name, version)
);

create table model_artifact (
    model_name  varchar(255) not null,
    version     integer      not null,
    format      varchar(16)  not null,
    sha256      varchar(64)  not null,
    size_bytes  bigint       not null,
    primary key (model_name, version, format),
    foreign key (model_name, version) references model_version (model_name, version) on delete cascade
);
create index model_artifact_sha_idx on model_artifact (sha256);

create table model_alias (
    model_name  varchar(255) not null,
    alias       varchar(255) not null,
    version     integer      not null,
    primary key (model_name, alias),
    foreign key (model_name, version) references model_version (model_name, version)
);

-- Warm-start runs double as the durable job queue: workers claim QUEUED rows (or RUNNING rows whose
-- lease has expired) with FOR UPDATE SKIP LOCKED and renew their lease by heartbeat.
create table warm_start_run (
    id                uuid primary key,
    status            varchar(16)  not null,
    -- No foreign keys: a finished run keeps naming what it used after that is deleted; deleting
    -- what a queued or running run uses is refused by the service.
    checkpoint_id     uuid         not null,
    architecture_id   uuid         not null,
    options           text         not null,
    output            text         not null,
    idempotency_key   varchar(255),
    request_sha256    varchar(64),
    attempts          integer      not null default 0,
    max_attempts      integer      not null,
    lease_owner       varchar(255),
    lease_expires_at  timestamptz,
    cancel_requested  boolean      not null default false,
    device            varchar(32),
    tensors_done      integer      not null default 0,
    tensors_total     integer      not null default 0,
    bytes_done        bigint       not null default 0,
    bytes_total       bigint       not null default 0,
    report            text,
    error             text,
    model_name        varchar(255),
    model_version     integer,
    created_at        timestamptz  not null,
    started_at        timestamptz,
    finished_at       timestamptz,
    constraint warm_start_run_idempotency_unique unique (idempotency_key)
);
create index warm_start_run_claim_idx on warm_start_run (status, created_at);
