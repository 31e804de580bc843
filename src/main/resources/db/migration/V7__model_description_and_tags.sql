-- A model carries its own description and tags (PATCH /api/v1/models/{name}), beside its versions'.
alter table model add column description text;
alter table model add column tags jsonb not null default '{}'::jsonb;
