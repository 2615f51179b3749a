-- A cancelled support task's assignments end with it (R-16, issue 21):
-- those of tasks cancelled before this was done in CancelTask stayed
-- notified/confirmed/objected/upheld, so the owning units saw them as live.
UPDATE task_assignments SET state = 'cancelled'
WHERE state NOT IN ('withdrawn', 'cancelled')
  AND task_id IN (SELECT id FROM support_tasks WHERE state = 'cancelled');
