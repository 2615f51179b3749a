-- On SQLite only the merge of the positions inbox writes positions
-- (internal/telematics/inbox.go), and it adds the merged rows' terminal days
-- to position_days itself, once per vehicle, day and terminal: the row
-- trigger of 0015 cost a lookup in position_days for every report, a quarter
-- of the merge (issue 5, Performance). PostgreSQL keeps its statement
-- trigger.
DROP TRIGGER tr_positions_day;
