-- AMSS schema, part 6: the parts a maintenance task requires. Starting the task needs that many of
-- its reservations (reserved or used) on items of each definition; completing it needs them used.

-- +goose Up
CREATE TABLE task_part_requirements (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  task_id uuid NOT NULL,
  part_definition_id uuid NOT NULL,
  quantity integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT task_part_requirements_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT task_part_requirements_org_id_id_key UNIQUE (org_id, id),
  -- The requirements are part of the task: they go when a task row is ever purged.
  CONSTRAINT task_part_requirements_task_fkey FOREIGN KEY (org_id, task_id)
    REFERENCES maintenance_tasks (org_id, id) ON DELETE CASCADE,
  CONSTRAINT task_part_requirements_part_definition_fkey FOREIGN KEY (org_id, part_definition_id)
    REFERENCES part_definitions (org_id, id),
  CONSTRAINT task_part_requirements_quantity_check CHECK (quantity > 0),
  CONSTRAINT task_part_requirements_org_id_task_id_part_definition_id_key
    UNIQUE (org_id, task_id, part_definition_id)
);
CREATE INDEX task_part_requirements_org_id_part_definition_id_idx
  ON task_part_requirements (org_id, part_definition_id);

-- +goose Down
DROP TABLE task_part_requirements;
