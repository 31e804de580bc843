-- Artifacts split into shards by output.maxShardSize (issue 16): the model_artifact row names the
-- index file (model.safetensors.index.json, pytorch_model.bin.index.json), and each shard is a
-- content-addressed blob of its own, listed here in order under its Hugging Face file name.
create table model_artifact_shard (
    model_name  varchar(255) not null,
    version     integer      not null,
    format      varchar(16)  not null,
    position    integer      not null,
    file_name   varchar(64)  not null,
    sha256      varchar(64)  not null,
    size_bytes  bigint       not null,
    primary key (model_name, version, format, position),
    unique (model_name, version, format, file_name),
    foreign key (model_name, version, format)
        references model_artifact (model_name, version, format) on delete cascade
);
-- The blob collector asks whether any row names a blob.
create index model_artifact_shard_sha_idx on model_artifact_shard (sha256);
