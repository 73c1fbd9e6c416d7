//! Who may see an approval and what they may do with it (product spec §1).

/// The four approval rights of a user, named in the UI exactly as in the spec.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rights {
    /// «Создавать согласования».
    pub create: bool,
    /// «Участвовать в согласованиях».
    pub participate: bool,
    /// «Просматривать согласования».
    pub view: bool,
    /// «Просматривать публичные согласования».
    pub view_public: bool,
}

/// The signed-in user as far as the rules care.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: i64,
    pub organisation_id: i64,
    pub full_name: String,
    pub rights: Rights,
    pub is_head: bool,
    pub is_admin: bool,
}

/// The facts about an approval that decide who may see it.
#[derive(Clone, Debug)]
pub struct ApprovalScope<'a> {
    pub initiator_org_id: i64,
    pub is_draft: bool,
    pub is_public: bool,
    /// Organisations that take part in the approval's route.
    pub participant_org_ids: &'a [i64],
}

/// How much of an approval a user sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Visibility {
    /// Not at all: the approval answers 404.
    Hidden,
    /// Through «Просматривать публичные согласования» only: header, decision tables and the
    /// document list, without downloads, СНИЛС masked.
    Public,
    /// Everything, documents included.
    Full,
}

impl Actor {
    /// How much of the approval this user may see.
    pub fn visibility(&self, scope: &ApprovalScope<'_>) -> Visibility {
        if self.is_admin {
            return Visibility::Full;
        }
        let r = self.rights;
        let own_initiated = scope.initiator_org_id == self.organisation_id;
        if own_initiated && (r.create || r.view || self.is_head) {
            return Visibility::Full;
        }
        if scope.is_draft {
            return Visibility::Hidden;
        }
        let participating = scope.participant_org_ids.contains(&self.organisation_id);
        if participating && (r.participate || r.view || self.is_head) {
            return Visibility::Full;
        }
        if scope.is_public && r.view_public {
            return Visibility::Public;
        }
        Visibility::Hidden
    }

    /// Whether the user may create, edit, delete and launch the approval's drafts and start
    /// its repeat: a member of the initiator organisation with the create right.
    pub fn may_manage(&self, initiator_org_id: i64) -> bool {
        self.rights.create && self.organisation_id == initiator_org_id
    }

    /// Whether the user may act and decide for the given participant organisation.
    pub fn may_decide_for(&self, participant_org_id: i64) -> bool {
        self.rights.participate && self.organisation_id == participant_org_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSO: i64 = 1;
    const KGA: i64 = 2;
    const OTHER: i64 = 3;

    fn actor(org: i64, rights: Rights) -> Actor {
        Actor {
            user_id: 10,
            organisation_id: org,
            full_name: "Тестов Тест Тестович".into(),
            rights,
            is_head: false,
            is_admin: false,
        }
    }

    fn scope(is_draft: bool, is_public: bool) -> ApprovalScope<'static> {
        ApprovalScope {
            initiator_org_id: RSO,
            is_draft,
            is_public,
            participant_org_ids: &[KGA],
        }
    }

    const CREATE: Rights = Rights {
        create: true,
        participate: false,
        view: false,
        view_public: false,
    };
    const PARTICIPATE: Rights = Rights {
        create: false,
        participate: true,
        view: false,
        view_public: false,
    };
    const VIEW: Rights = Rights {
        create: false,
        participate: false,
        view: true,
        view_public: false,
    };
    const PUBLIC: Rights = Rights {
        create: false,
        participate: false,
        view: false,
        view_public: true,
    };

    #[test]
    fn drafts_are_seen_by_the_initiator_organisation_only() {
        let draft = scope(true, true);
        assert_eq!(actor(RSO, CREATE).visibility(&draft), Visibility::Full);
        assert_eq!(actor(RSO, VIEW).visibility(&draft), Visibility::Full);
        assert_eq!(
            actor(KGA, PARTICIPATE).visibility(&draft),
            Visibility::Hidden
        );
        assert_eq!(actor(OTHER, PUBLIC).visibility(&draft), Visibility::Hidden);
    }

    #[test]
    fn participants_see_launched_approvals_in_full() {
        let running = scope(false, false);
        assert_eq!(
            actor(KGA, PARTICIPATE).visibility(&running),
            Visibility::Full
        );
        assert_eq!(actor(KGA, VIEW).visibility(&running), Visibility::Full);
        assert_eq!(actor(KGA, CREATE).visibility(&running), Visibility::Hidden);
    }

    #[test]
    fn public_viewers_see_only_launched_public_approvals_and_only_partly() {
        assert_eq!(
            actor(OTHER, PUBLIC).visibility(&scope(false, true)),
            Visibility::Public
        );
        assert_eq!(
            actor(OTHER, PUBLIC).visibility(&scope(false, false)),
            Visibility::Hidden
        );
    }

    #[test]
    fn a_head_sees_own_organisation_approvals_without_rights_and_admins_see_all() {
        let mut head = actor(RSO, Rights::default());
        head.is_head = true;
        assert_eq!(head.visibility(&scope(true, false)), Visibility::Full);
        let mut admin = actor(OTHER, Rights::default());
        admin.is_admin = true;
        assert_eq!(admin.visibility(&scope(true, false)), Visibility::Full);
        assert_eq!(
            actor(OTHER, Rights::default()).visibility(&scope(false, true)),
            Visibility::Hidden
        );
    }

    #[test]
    fn only_the_right_holder_of_the_right_organisation_may_manage_or_decide() {
        assert!(actor(RSO, CREATE).may_manage(RSO));
        assert!(!actor(RSO, VIEW).may_manage(RSO));
        assert!(!actor(OTHER, CREATE).may_manage(RSO));
        assert!(actor(KGA, PARTICIPATE).may_decide_for(KGA));
        assert!(!actor(KGA, VIEW).may_decide_for(KGA));
        assert!(!actor(OTHER, PARTICIPATE).may_decide_for(KGA));
    }
}
