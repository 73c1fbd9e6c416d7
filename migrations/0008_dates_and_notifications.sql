-- Expected dates, deadlines and overdue marks, stored so that the card and the list read them
-- without recomputing; they change with events and, for running approvals, as days pass.
-- `dates_as_of` is the Moscow date they were last computed in full; '-infinity' (rather than
-- NULL, so the index serves it) marks approvals the background refresh must compute first.
ALTER TABLE approval_participants
    ADD COLUMN expected_start date,
    ADD COLUMN expected_end   date,
    ADD COLUMN deadline       date,
    ADD COLUMN is_overdue     boolean NOT NULL DEFAULT false;

-- Room on each page so that the daily date updates stay heap-only (no index churn).
ALTER TABLE approval_participants SET (fillfactor = 70);

ALTER TABLE approval_actions
    ADD COLUMN planned_end    date,
    ADD COLUMN expected_end   date,
    ADD COLUMN deadline       date;

ALTER TABLE approvals ADD COLUMN dates_as_of date NOT NULL DEFAULT '-infinity';

ALTER TABLE approval_actions SET (fillfactor = 70);

-- The daily refresh starts from these: undecided mandatory participants by deadline, and
-- participants whose step has not started.
CREATE INDEX approval_participants_open_deadline_idx ON approval_participants (deadline)
    WHERE decided_at IS NULL AND is_mandatory;
CREATE INDEX approval_participants_waiting_idx ON approval_participants (approval_id)
    WHERE deadline IS NULL;

CREATE INDEX approvals_dates_due_idx ON approvals (dates_as_of, id) WHERE status = 'running';

-- The days whose day-driven refresh (overdue marks, expected dates of waiting steps) is done
-- for every running approval; the first server to insert a day does it, in that transaction.
CREATE TABLE schedule_days (
    day        date PRIMARY KEY,
    done_at    timestamptz NOT NULL
);

-- Notices to users. `dedupe_key` names the event (`overdue:<participant>`, …): one notice per
-- user and event, however many servers notice it at once.
CREATE TABLE notifications (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    approval_id  bigint REFERENCES approvals (id) ON DELETE CASCADE,
    kind         text NOT NULL,
    message      text NOT NULL,
    dedupe_key   text NOT NULL,
    created_at   timestamptz NOT NULL,
    read_at      timestamptz,
    UNIQUE (user_id, dedupe_key)
);

CREATE INDEX notifications_user_idx ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;

-- Mail waiting to be sent, one per notice, kept until the mail server takes it.
CREATE TABLE mail_outbox (
    id               bigserial PRIMARY KEY,
    notification_id  bigint NOT NULL UNIQUE REFERENCES notifications (id) ON DELETE CASCADE,
    recipient        text NOT NULL,
    subject          text NOT NULL,
    body             text NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    sent_at          timestamptz,
    last_error       text
);

CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;
