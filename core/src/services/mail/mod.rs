//! Email: the outbox every email is queued in, and its delivery.

pub mod outbox;
