//! Team roles and the one permission table both the UI (which buttons appear) and the server
//! (what is allowed) read.

use serde::{Deserialize, Serialize};

/// A member's role in a team, from most to least powerful.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including deleting the team and transferring ownership.
    Owner,
    /// Manages members (not owners), invitations and every key of the team.
    Admin,
    /// Creates keys, manages the keys they created, sees all keys (masked) and usage.
    Member,
    /// Read-only: masked keys, usage, members.
    Viewer,
}

impl Role {
    /// All roles, most powerful first.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Member, Role::Viewer];

    /// The name stored in the database and shown in the UI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    /// Parses a stored or submitted role name.
    pub fn parse(s: &str) -> Option<Self> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Member => "Member",
            Role::Viewer => "Viewer",
        }
    }

    /// Higher is more powerful.
    fn rank(self) -> u8 {
        match self {
            Role::Owner => 3,
            Role::Admin => 2,
            Role::Member => 1,
            Role::Viewer => 0,
        }
    }

    /// Whether this role is at least as powerful as `other`.
    pub fn at_least(self, other: Role) -> bool {
        self.rank() >= other.rank()
    }
}

/// Something a member may try to do in a team.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    /// List keys (masked) and see their details.
    ViewKeys,
    /// See usage figures.
    ViewUsage,
    /// See the members list.
    ViewMembers,
    /// Create a key.
    CreateKey,
    /// Revoke, rotate or edit a key the actor created.
    ManageOwnKey,
    /// Revoke, rotate or edit any key of the team.
    ManageAnyKey,
    /// Read the team's audit trail.
    ViewAudit,
    /// Change members' roles and remove members (owners only by owners).
    ManageMembers,
    /// Invite people, resend and revoke invitations, read the team's outgoing email.
    ManageInvitations,
    /// Rename the team and change its description.
    EditTeam,
    /// Delete the team: every member loses access and every key is revoked.
    DeleteTeam,
    /// Approve or deny keys that need approval.
    ApproveKeys,
    /// See the team's plan, its limits and invoices.
    ViewBilling,
    /// Change or cancel the team's plan.
    ManageBilling,
}

impl Action {
    /// Every action; a new one must be added here, and the permission table test then fails
    /// until the table has a row for it.
    pub const ALL: [Action; 14] = [
        Action::ViewKeys,
        Action::ViewUsage,
        Action::ViewMembers,
        Action::CreateKey,
        Action::ManageOwnKey,
        Action::ManageAnyKey,
        Action::ViewAudit,
        Action::ManageMembers,
        Action::ManageInvitations,
        Action::EditTeam,
        Action::DeleteTeam,
        Action::ApproveKeys,
        Action::ViewBilling,
        Action::ManageBilling,
    ];

    /// The least powerful role allowed to do this.
    pub fn minimum_role(self) -> Role {
        match self {
            Action::ViewKeys | Action::ViewUsage | Action::ViewMembers | Action::ViewBilling => Role::Viewer,
            Action::CreateKey | Action::ManageOwnKey => Role::Member,
            Action::ManageAnyKey
            | Action::ViewAudit
            | Action::ManageMembers
            | Action::ManageInvitations
            | Action::EditTeam
            | Action::ApproveKeys
            | Action::ManageBilling => Role::Admin,
            Action::DeleteTeam => Role::Owner,
        }
    }
}

/// Whether `actor` may give `target` the role `new_role`, or remove `target` (pass `None`):
/// managing members needs the right, admins cannot touch owners, and nobody grants a role
/// above their own. The last-owner rule needs the team's state and is checked by the service.
pub fn may_change_member(actor: Role, target: Role, new_role: Option<Role>) -> bool {
    allowed(actor, Action::ManageMembers)
        && actor.at_least(target)
        && new_role.is_none_or(|r| actor.at_least(r))
}

/// The roles `actor` may hand out in invitations and role changes.
pub fn grantable_roles(actor: Role) -> Vec<Role> {
    Role::ALL.into_iter().filter(|r| actor.at_least(*r)).collect()
}

/// Whether `role` may do `action`.
pub fn allowed(role: Role, action: Action) -> bool {
    role.at_least(action.minimum_role())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_permission_table_matches_the_documented_roles() {
        use Action::*;
        let expected: &[(Role, &[Action])] = &[
            (Role::Owner, &[ViewKeys, ViewUsage, ViewMembers, CreateKey, ManageOwnKey, ManageAnyKey, ViewAudit, ManageMembers, ManageInvitations, EditTeam, DeleteTeam, ApproveKeys, ViewBilling, ManageBilling]),
            (Role::Admin, &[ViewKeys, ViewUsage, ViewMembers, CreateKey, ManageOwnKey, ManageAnyKey, ViewAudit, ManageMembers, ManageInvitations, EditTeam, ApproveKeys, ViewBilling, ManageBilling]),
            (Role::Member, &[ViewKeys, ViewUsage, ViewMembers, CreateKey, ManageOwnKey, ViewBilling]),
            (Role::Viewer, &[ViewKeys, ViewUsage, ViewMembers, ViewBilling]),
        ];
        for (role, actions) in expected {
            for action in Action::ALL {
                assert_eq!(allowed(*role, action), actions.contains(&action), "{role:?} {action:?}");
            }
        }
    }

    #[test]
    fn admins_manage_everyone_but_owners_and_nobody_grants_above_their_role() {
        use Role::*;
        assert!(may_change_member(Owner, Owner, Some(Admin)), "owners manage owners");
        assert!(may_change_member(Owner, Member, Some(Owner)), "ownership can be shared");
        assert!(may_change_member(Admin, Member, Some(Admin)));
        assert!(!may_change_member(Admin, Owner, Some(Admin)), "admins cannot demote owners");
        assert!(!may_change_member(Admin, Owner, None), "admins cannot remove owners");
        assert!(!may_change_member(Admin, Member, Some(Owner)), "nobody grants above their role");
        assert!(!may_change_member(Member, Viewer, Some(Viewer)), "members manage nobody");
        assert!(!may_change_member(Viewer, Viewer, None));
        assert_eq!(grantable_roles(Admin), vec![Admin, Member, Viewer]);
        assert_eq!(grantable_roles(Owner), Role::ALL.to_vec());
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
        assert!(Role::Owner.at_least(Role::Admin) && !Role::Viewer.at_least(Role::Member));
    }
}
