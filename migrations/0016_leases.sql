-- Leases: work that must happen once across several bot processes (feed polling by one leader, say) is
-- done by whoever holds its lease. A holder renews before `expires_at`; once that passes, another process
-- may take the lease over. `term` rises with every change of holder: a fencing token, so work stamped
-- with an older term can be recognised as a deposed leader's.
CREATE TABLE leases (
    name        TEXT    PRIMARY KEY,
    holder      TEXT    NOT NULL,
    term        INTEGER NOT NULL DEFAULT 1 CHECK (term >= 1),
    acquired_at TEXT    NOT NULL,
    renewed_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL
) STRICT;
