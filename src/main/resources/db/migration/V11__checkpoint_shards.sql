-- Checkpoints uploaded in Hugging Face's sharded layout (issue 16): the checkpoint row's sha256
-- names its manifest (a sha256sum listing of its files, which /content returns), and each file is a
-- content-addressed blob of its own, listed here: the index file at position 0, then the shard
-- files in the order their bytes are read (by file name). Two checkpoints that share a shard share
-- its blob.
create table checkpoint_shard (
    checkpoint_id  uuid         not null references checkpoint (id) on delete cascade,
    position       integer      not null,
    file_name      varchar(255) not null,
    sha256         varchar(64)  not null,
    size_bytes     bigint       not null,
    primary key (checkpoint_id, position),
    unique (checkpoint_id, file_name)
);
-- The blob collector asks whether any row names a blob.
create index checkpoint_shard_sha_idx on checkpoint_shard (sha256);
