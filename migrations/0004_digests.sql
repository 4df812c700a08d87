-- Schema for digests (issue 6). Reserved so migration numbers stay in order while the capability is built.
SELECT 1;
