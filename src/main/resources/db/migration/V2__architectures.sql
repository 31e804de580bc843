-- Target architectures: the ordered state_dict() layout of a new model, with initial values kept in
-- the blob store (file sources) or init schemes (JSON sources).
create table architecture (
    id                 uuid primary key,
    name               varchar(255) not null,
    source             varchar(16)  not null,
    sha256             varchar(64)  not null,
    size_bytes         bigint       not null,
    entry_count        integer      not null,
    numel              bigint       not null,
    trainable_numel    bigint       not null,
    has_initial_values boolean      not null,
    created_at         timestamptz  not null,
    constraint architecture_sha256_unique unique (sha256)
);
create index architecture_created_idx on architecture (created_at desc);

create table architecture_entry (
    architecture_id      uuid    not null references architecture (id) on delete cascade,
    ordinal              integer not null,
    entry_key            text    not null,
    dtype                varchar(32) not null,
    shape                bigint[] not null,
    kind                 varchar(16) not null,
    requires_grad        boolean not null,
    init                 text,
    -- Where the initial value lies in the blob; null for JSON sources.
    strides              bigint[],
    storage_key          text,
    storage_offset       bigint,
    storage_data_offset  bigint,
    storage_bytes        bigint,
    big_endian           boolean,
    primary key (architecture_id, ordinal)
);
