-- Failed sign-ins are counted per login and network address, so that failures sent from
-- one address cannot keep the user out from another.
ALTER TABLE login_failures ADD COLUMN client text NOT NULL DEFAULT '';
ALTER TABLE login_failures DROP CONSTRAINT login_failures_pkey;
ALTER TABLE login_failures ADD PRIMARY KEY (login, client);
