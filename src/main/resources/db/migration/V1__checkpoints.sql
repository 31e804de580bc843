-- Checkpoints: immutable uploaded weight files, content-addressed by SHA-256.
create table checkpoint (
    id               uuid primary key,
    name             varchar(255)  not null,
    sha256           varchar(64)   not null,
    size_bytes       bigint        not null,
    format           varchar(16)   not null,
    state_dict_path  varchar(1024) not null,
    tensor_count     integer       not null,
    numel            bigint        not null,
    dtypes           text          not null,
    metadata         text          not null,
    module_versions  text          not null,
    created_at       timestamptz   not null,
    constraint checkpoint_sha256_unique unique (sha256)
);
create index checkpoint_name_idx on checkpoint (lower(name));
create index checkpoint_created_idx on checkpoint (created_at desc);

-- The tensor index: one row per state-dict key, in file order, with where its bytes lie in the blob,
-- so listings, previews and worker reads never parse the file again.
create table checkpoint_tensor (
    checkpoint_id        uuid    not null references checkpoint (id) on delete cascade,
    ordinal              integer not null,
    tensor_key           text    not null,
    dtype                varchar(32) not null,
    shape                bigint[] not null,
    strides              bigint[] not null,
    numel                bigint  not null,
    storage_key          text    not null,
    storage_offset       bigint  not null,
    storage_data_offset  bigint  not null,
    storage_bytes        bigint  not null,
    byte_start           bigint  not null,
    byte_end             bigint  not null,
    big_endian           boolean not null,
    parameter            boolean not null,
    requires_grad        boolean,
    primary key (checkpoint_id, ordinal)
);
create index checkpoint_tensor_key_idx on checkpoint_tensor (checkpoint_id, tensor_key text_pattern_ops);
