-- Web sessions, in the layout the tower-sessions PostgreSQL store reads and writes. Keeping
-- them in the database lets several server instances share them and survive restarts.

CREATE TABLE sessions (
    id           text PRIMARY KEY NOT NULL,
    data         bytea NOT NULL,
    expiry_date  timestamptz NOT NULL
);

CREATE INDEX sessions_expiry_idx ON sessions (expiry_date);

-- Failed logins per login name, so that guessing slows down whichever instance is asked.
CREATE TABLE login_failures (
    login          text PRIMARY KEY,
    failures       integer NOT NULL,
    last_failed_at timestamptz NOT NULL
);
