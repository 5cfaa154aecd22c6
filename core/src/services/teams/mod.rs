//! Teams and who is in them: teams, members and roles, invitations, and the audit trail.

pub mod audit;
pub mod invitations;
pub mod members;
pub mod team;

pub(crate) use team::*;
