-- Warm-starts from several checkpoints (issue 16).
--
-- A run submitted with `sources` keeps them as submitted (checkpoint, key rules, globs, in order);
-- checkpoint_id stays its first source's checkpoint. A run submitted with checkpointId leaves
-- sources null, as every run stored before did.
alter table warm_start_run add column sources jsonb;

-- A version records every checkpoint it was loaded from, with its SHA-256 (lineage.sources);
-- null for versions loaded from one checkpoint, whose lineage is checkpoint_id and
-- checkpoint_sha256 alone.
alter table model_version add column sources jsonb;

-- Deleting a checkpoint asks whether an active run or a version's lineage names it; with sources
-- that is a containment test (sources @> '[{"checkpointId": "..."}]'), which these answer without
-- reading every row.
create index warm_start_run_sources_idx on warm_start_run using gin (sources jsonb_path_ops)
    where sources is not null;
create index model_version_sources_idx on model_version using gin (sources jsonb_path_ops)
    where sources is not null;
