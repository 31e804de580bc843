-- Tags become jsonb so listings can filter versions by tag (tags @> '{"k": "v"}') through an index.
alter table model_version alter column tags type jsonb using tags::jsonb;
create index model_version_tags_idx on model_version using gin (tags jsonb_path_ops);

-- Version numbers are never reused: deleting the newest version and registering again must not hand
-- out its number a second time (clients pin "v3" and expect the same bytes forever). The counter also
-- serialises registrations per model through the row lock of its update.
alter table model add column last_version integer not null default 0;
update model m
   set last_version = coalesce((select max(v.version) from model_version v where v.model_name = m.name), 0);

-- Deletion checks: which aliases point at a version, which versions name a checkpoint or architecture.
create index model_alias_version_idx on model_alias (model_name, version);
create index model_version_checkpoint_idx on model_version (checkpoint_id);
create index model_version_architecture_idx on model_version (architecture_id);
