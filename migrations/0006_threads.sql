-- Schema for thread tracking (issue 8). Reserved so migration numbers stay in order while the capability is built.
SELECT 1;
