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
}

impl Action {
    /// Every action; a new one must be added here, and the permission table test then fails
    /// until the table has a row for it.
    pub const ALL: [Action; 7] = [
        Action::ViewKeys,
        Action::ViewUsage,
        Action::ViewMembers,
        Action::CreateKey,
        Action::ManageOwnKey,
        Action::ManageAnyKey,
        Action::ViewAudit,
    ];

    /// The least powerful role allowed to do this.
    pub fn minimum_role(self) -> Role {
        match self {
            Action::ViewKeys | Action::ViewUsage | Action::ViewMembers => Role::Viewer,
            Action::CreateKey | Action::ManageOwnKey => Role::Member,
            Action::ManageAnyKey | Action::ViewAudit => Role::Admin,
        }
    }
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
            (Role::Owner, &[ViewKeys, ViewUsage, ViewMembers, CreateKey, ManageOwnKey, ManageAnyKey, ViewAudit]),
            (Role::Admin, &[ViewKeys, ViewUsage, ViewMembers, CreateKey, ManageOwnKey, ManageAnyKey, ViewAudit]),
            (Role::Member, &[ViewKeys, ViewUsage, ViewMembers, CreateKey, ManageOwnKey]),
            (Role::Viewer, &[ViewKeys, ViewUsage, ViewMembers]),
        ];
        for (role, actions) in expected {
            for action in Action::ALL {
                assert_eq!(allowed(*role, action), actions.contains(&action), "{role:?} {action:?}");
            }
        }
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
