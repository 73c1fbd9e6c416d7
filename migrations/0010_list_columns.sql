-- The columns of the «Согласования» list each user has chosen to see, by key (`number`,
-- `status`, …); NULL until the user chooses, which shows them all.
ALTER TABLE users ADD COLUMN list_columns text[];
