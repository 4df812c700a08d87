-- Schema for polls (issue 7). Reserved so migration numbers stay in order while the capability is built.
SELECT 1;
