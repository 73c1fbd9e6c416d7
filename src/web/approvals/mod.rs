//! Approval pages: the list, the draft card (create, edit, launch) and the approval card.

mod card;
mod draft;
mod export;
mod list;
mod repeat;

pub use card::card;
pub use draft::{
    create, delete, draft_form, edit_form, launch, launch_confirm, new_form, render_edit, update,
};
pub use export::export;
pub use list::{ListQuery, ListRequest, home, list, save_columns};
pub use repeat::{create_repeat, repeat_by_number, repeat_form};

use crate::{
    db::{self, approvals::ApprovalRow, users::SignedIn},
    domain::access::{ApprovalScope, Visibility},
    error::{AppError, AppResult},
    web::AppState,
};

/// An approval the user may see, with how much of it.
#[derive(Debug)]
pub struct Visible {
    pub approval: ApprovalRow,
    pub visibility: Visibility,
}

impl Visible {
    pub fn is_draft(&self) -> bool {
        self.approval.status == "draft"
    }
}

/// Loads an approval if the user may see it; otherwise answers 404, whether it exists or not.
pub async fn load_visible(state: &AppState, user: &SignedIn, id: i64) -> AppResult<Visible> {
    let mut conn = state.db.acquire().await?;
    let approval = db::approvals::find(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let visibility = user.actor.visibility(&ApprovalScope {
        initiator_org_id: approval.initiator_org_id,
        is_draft: approval.status == "draft",
        is_public: approval.is_public,
        participant_org_ids: &approval.participant_org_ids,
    });
    if visibility == Visibility::Hidden {
        return Err(AppError::NotFound);
    }
    Ok(Visible {
        approval,
        visibility,
    })
}

/// What the page frame shows about the signed-in user.
#[derive(Debug, Clone)]
pub struct Layout {
    pub user_name: String,
    pub organisation_name: String,
    pub unread: i64,
    pub is_admin: bool,
    pub is_head: bool,
}

impl Layout {
    pub fn of(user: &SignedIn) -> Self {
        Self {
            user_name: user.actor.full_name.clone(),
            organisation_name: user.organisation_name.clone(),
            unread: user.unread_notifications,
            is_admin: user.actor.is_admin,
            is_head: user.actor.is_head,
        }
    }

    /// The unread count as the bell shows it: «99+» when there are more.
    pub fn unread_badge(&self) -> String {
        if self.unread >= db::users::UNREAD_COUNTED_UP_TO {
            format!("{}+", db::users::UNREAD_COUNTED_UP_TO - 1)
        } else {
            self.unread.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bell_counts_up_to_ninety_nine_and_then_says_more() {
        let layout = |unread| Layout {
            user_name: String::new(),
            organisation_name: String::new(),
            unread,
            is_admin: false,
            is_head: false,
        };
        assert_eq!(layout(0).unread_badge(), "0");
        assert_eq!(layout(99).unread_badge(), "99");
        assert_eq!(
            layout(db::users::UNREAD_COUNTED_UP_TO).unread_badge(),
            "99+"
        );
    }
}
