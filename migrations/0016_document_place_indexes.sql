-- Every card, decision and launch counts the documents of each folder, participant and
-- action: without these the counts read the whole documents table, and grow with it.
CREATE INDEX documents_folder_idx ON documents (folder_id) WHERE folder_id IS NOT NULL;
CREATE INDEX documents_participant_idx ON documents (participant_id)
    WHERE participant_id IS NOT NULL;
CREATE INDEX documents_action_idx ON documents (action_id) WHERE action_id IS NOT NULL;
