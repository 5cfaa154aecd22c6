//! The API reference as the docs pages draw it: built on the server from the operator's
//! OpenAPI document, operations grouped by tag, with their parameters and responses.

use serde::{Deserialize, Serialize};

/// The reference of the document in effect.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiReference {
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// `info.description`: CommonMark, as written; the server turns it into sanitized HTML
    /// before the page gets it.
    pub description: Option<String>,
    /// The first server URL, when the document names one.
    pub server: Option<String>,
    /// Operations by tag, in the document's tag order; untagged ones last, under "Other".
    pub groups: Vec<TagGroup>,
}

/// One tag and its operations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagGroup {
    /// The tag's name.
    pub name: String,
    /// The tag's description.
    pub description: Option<String>,
    /// Its operations, in the document's order.
    pub operations: Vec<OperationView>,
}

/// One operation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationView {
    /// The deep-link anchor: the operation id, or method and path made safe.
    pub anchor: String,
    /// `GET`, `POST`, …
    pub method: String,
    /// `/pets/{petId}`.
    pub path: String,
    /// Its summary (or, without one, its operation id or path).
    pub summary: String,
    /// Its description (sanitized HTML from CommonMark once the server fn has run).
    pub description: Option<String>,
    /// Marked deprecated.
    pub deprecated: bool,
    /// Path, query, header and cookie parameters (the path item's and the operation's).
    pub parameters: Vec<ParameterView>,
    /// The media types of its request body, if it has one.
    pub request_body: Vec<String>,
    /// Its responses, by status.
    pub responses: Vec<ResponseView>,
}

/// One parameter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterView {
    /// Its name.
    pub name: String,
    /// `path`, `query`, `header` or `cookie`.
    pub location: String,
    /// Required.
    pub required: bool,
    /// Its type in words (`string`, `integer (int64)`, `array of string`, `Pet`).
    pub type_label: String,
    /// Its description.
    pub description: Option<String>,
}

/// One response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseView {
    /// `200`, `4XX`, `default`.
    pub status: String,
    /// Its description.
    pub description: String,
    /// Its media types.
    pub media_types: Vec<String>,
}
