//! Email: what each email says (templates), the outbox every email is queued in, and its
//! delivery.

pub mod outbox;
pub mod templates;
