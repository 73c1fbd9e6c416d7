-- A form carries a token made when the page was shown; a second post of the same form (a
-- double click, a resent request) finds the first one's result here instead of doing it
-- again.
CREATE TABLE form_submissions (
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token        uuid NOT NULL,
    approval_id  bigint REFERENCES approvals (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, token)
);
