-- Schema for feeds (issue 4). Reserved so migration numbers stay in order while the capability is built.
SELECT 1;
