-- Schema for the command surface: audit log and search (issue 9). Reserved so migration numbers stay in order while the capability is built.
SELECT 1;
