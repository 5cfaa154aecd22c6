//! One request in a key's request log (verify answers and served requests), newest kept.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "key_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub key_id: String,
    pub team_id: String,
    pub at: DateTimeUtc,
    /// `VALID`, a refusal code, or the HTTP status served (`200`).
    pub outcome: String,
    /// Accepted, or served below 400.
    pub ok: bool,
    /// The HTTP status, for a served request (`None` for a verification).
    pub status: Option<i32>,
    pub endpoint: Option<String>,
    pub latency_ms: Option<f64>,
    /// The client's address, when the operator sends it.
    pub ip: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
