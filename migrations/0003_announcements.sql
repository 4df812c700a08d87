-- Schema for announcements (issue 5). Reserved so migration numbers stay in order while the capability is built.
SELECT 1;
