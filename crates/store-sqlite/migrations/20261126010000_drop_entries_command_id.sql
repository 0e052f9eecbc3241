-- No query looks entries up by command ID: the commands table maps each command ID to its
-- entries. The index cost a B-tree insert at a random place for every entry written.
DROP INDEX IF EXISTS entries_command_id;
