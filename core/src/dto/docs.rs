//! The API reference as the docs pages draw it: built on the server from the operator's
//! OpenAPI document, operations grouped by tag, with their parameters, bodies, responses,
//! schemas as flat trees (a depth per row), the security they need and code samples.

use serde::{Deserialize, Serialize};

/// Stands for the developer's key in [`CodeSample::code`]: the page puts in the masked key,
/// a placeholder, or (when copying) the key itself.
pub const KEY_SENTINEL: &str = "KEYPORT_API_KEY_HERE";

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
    /// The base URL calls go to: the first server (its variables at their defaults), or the
    /// configured API URL when the document names none or only a relative one.
    pub server: Option<String>,
    /// Operations by tag, in the document's tag order; untagged ones last, under "Other".
    pub groups: Vec<TagGroup>,
    /// The document's named schemas (`components.schemas`), in its order.
    pub schemas: Vec<NamedSchema>,
    /// The document's security schemes, in its order.
    pub security_schemes: Vec<SecuritySchemeView>,
    /// How calls carry a Keyport key, as the samples do it (`Authorization: Bearer …`).
    pub key_usage: KeyUsage,
    /// Some schema trees were cut short to keep the page bounded.
    pub truncated: bool,
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
    /// Its request body, if it has one.
    pub request_body: Option<BodyView>,
    /// Its responses, by status.
    pub responses: Vec<ResponseView>,
    /// The security it needs: any one of these alternatives, each a set of schemes used
    /// together. Empty: none.
    pub security: Vec<Vec<SecurityUse>>,
    /// Whether calling it without credentials is also allowed (an empty requirement).
    pub security_optional: bool,
    /// The scopes a Keyport key needs for it (`x-keyport-scopes`, else the scopes of its
    /// non-OAuth security requirements).
    pub scopes: Vec<String>,
    /// Ready-to-run calls: curl, JavaScript, Python, Go.
    pub samples: Vec<CodeSample>,
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
    /// Marked deprecated.
    pub deprecated: bool,
    /// Its type in words (`string`, `integer (int64)`, `array of string`, `Pet`).
    pub type_label: String,
    /// Its description.
    pub description: Option<String>,
    /// Limits, default and pattern in words (`≥ 1`, `default: 20`).
    pub constraints: Vec<String>,
    /// The values it may take, when it is an enum (at most [`MAX_ENUM_SHOWN`]).
    pub enum_values: Vec<String>,
    /// How many more enum values there are than shown.
    pub enum_more: u32,
    /// An example value, as JSON.
    pub example: Option<String>,
}

/// The most enum values a row or parameter shows.
pub const MAX_ENUM_SHOWN: usize = 30;

/// A request body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyView {
    /// Required.
    pub required: bool,
    /// Its description.
    pub description: Option<String>,
    /// Per media type, its schema and examples.
    pub contents: Vec<MediaView>,
}

/// One media type of a body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaView {
    /// `application/json`, …
    pub media_type: String,
    /// Its schema as a tree (empty without a schema).
    pub schema: Vec<SchemaRow>,
    /// Its examples: the document's, or one made from the schema.
    pub examples: Vec<ExampleView>,
}

/// One example.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExampleView {
    /// Its name in the document's `examples`.
    pub name: Option<String>,
    /// Its summary.
    pub summary: Option<String>,
    /// The value: pretty JSON, or text as written.
    pub value: String,
    /// Made by Keyport from the schema, not written in the document.
    pub generated: bool,
}

/// One response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseView {
    /// `200`, `4XX`, `default`.
    pub status: String,
    /// Its description.
    pub description: String,
    /// Its headers.
    pub headers: Vec<ParameterView>,
    /// Per media type, its schema and examples.
    pub contents: Vec<MediaView>,
}

/// One row of a schema tree: the tree is flat, each row knowing its depth, so drawing it
/// needs no recursion and a circular schema ends in a row that says so.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaRow {
    /// 0 for the schema itself, 1 for its properties, …
    pub depth: u8,
    /// The property's name, `[key]` for additional properties, `option 2` for a variant;
    /// none for the root.
    pub name: Option<String>,
    /// The type in words.
    pub type_label: String,
    /// The named schema (`components.schemas`) this row is, when it is one.
    pub ref_name: Option<String>,
    /// Required by its parent.
    pub required: bool,
    /// May be null.
    pub nullable: bool,
    /// Marked deprecated.
    pub deprecated: bool,
    /// Only in responses.
    pub read_only: bool,
    /// Only in requests.
    pub write_only: bool,
    /// Its description.
    pub description: Option<String>,
    /// The values it may take (at most [`MAX_ENUM_SHOWN`]).
    pub enum_values: Vec<String>,
    /// How many more enum values there are than shown.
    pub enum_more: u32,
    /// Limits, default, pattern in words.
    pub constraints: Vec<String>,
    /// An example value, as JSON.
    pub example: Option<String>,
    /// `one of`, `any of`: the rows below at `depth + 1` are alternatives.
    pub choice: Option<String>,
    /// Refers back to a schema above it: not drawn again.
    pub circular: bool,
    /// Not expanded here (too deep, or the page's budget was spent): see `ref_name`.
    pub collapsed: bool,
}

/// A named schema of the document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedSchema {
    /// Its name.
    pub name: String,
    /// Its anchor (`schema-Pet`).
    pub anchor: String,
    /// Its tree; named schemas inside are links, not expanded again.
    pub rows: Vec<SchemaRow>,
}

/// One security scheme of the document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecuritySchemeView {
    /// Its name in `components.securitySchemes`.
    pub name: String,
    /// `apiKey`, `http`, `oauth2`, `openIdConnect`, `mutualTLS`.
    pub kind: String,
    /// How a call carries it, in words.
    pub summary: String,
    /// Its description.
    pub description: Option<String>,
}

/// One security scheme an operation needs, with the scopes it asks of it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityUse {
    /// The scheme's name.
    pub scheme: String,
    /// How a call carries it, in words.
    pub summary: String,
    /// The scopes needed.
    pub scopes: Vec<String>,
}

/// How calls carry a key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyUsage {
    /// `header` or `query`.
    pub location: String,
    /// The header or query parameter's name.
    pub name: String,
    /// What comes before the key in it (`Bearer `), possibly nothing.
    pub prefix: String,
    /// The security scheme it comes from, if the document names one.
    pub scheme: Option<String>,
}

/// One code sample.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeSample {
    /// `curl`, `JavaScript`, `Python`, `Go`.
    pub lang: String,
    /// The code, with [`KEY_SENTINEL`] where the key goes.
    pub code: String,
}

/// The anchor of a named schema's section (`schema-Pet`): links from rows go there.
pub fn schema_anchor(name: &str) -> String {
    format!("schema-{}", anchor_safe(name))
}

/// A name made safe for an element id and a URL fragment: ASCII letters, digits, `-` and
/// `_` pass, anything else becomes `-`.
pub fn anchor_safe(raw: &str) -> String {
    raw.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect()
}

/// `petId` → `PET_ID`: a placeholder that reads as one and is safe in a shell.
pub fn placeholder(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' });
    }
    if out.is_empty() { "VALUE".into() } else { out }
}

/// `my ci key` → `YOUR_MY_CI_KEY`: what a copied sample holds for a key the browser cannot
/// know; `YOUR_API_KEY` without a key or for a name too long to read as a placeholder.
pub fn key_placeholder(key_name: Option<&str>) -> String {
    let name = key_name.map(|n| placeholder(n).trim_matches('_').to_owned()).unwrap_or_default();
    if name.is_empty() || name == "VALUE" || name.len() > 40 { "YOUR_API_KEY".into() } else { format!("YOUR_{name}_KEY") }
}

/// One of the operator's guides as the docs page shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuideView {
    /// Its anchor: `guide-<slug>`.
    pub anchor: String,
    /// Its title.
    pub title: String,
    /// Sanitized HTML rendered from its Markdown on the server.
    pub html: String,
}

/// One search result on the docs page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    /// `Operation`, `Schema` or `Guide`.
    pub kind: String,
    /// What the result is called (`GET /payments`, `Payment`, a guide's title).
    pub title: String,
    /// A line of context: the operation's summary, or where the words were found.
    pub detail: String,
    /// Where on the page it is (`op-…`, `schema-…`, `guide-…`, `authentication`).
    pub anchor: String,
}

/// The largest OpenAPI document accepted, in bytes (the console checks a file before sending).
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024 * 1024;

/// The longest search accepted, in characters (longer is cut).
pub const MAX_SEARCH_CHARS: usize = 100;
/// The most results a search shows.
pub const MAX_SEARCH_HITS: usize = 50;

/// A search over the docs page and what it found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    /// The words searched for, as used (trimmed and cut to [`MAX_SEARCH_CHARS`]).
    pub query: String,
    /// The results, best first, at most [`MAX_SEARCH_HITS`].
    pub hits: Vec<SearchHit>,
    /// More matched than are shown.
    pub more: bool,
}

/// The dashboard quickstart's first call: a `GET` of the document as curl.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickCall {
    /// Its path (`/payments`).
    pub path: String,
    /// Its summary.
    pub summary: String,
    /// Its place in the docs (`op-listPayments`).
    pub anchor: String,
    /// The curl command, with [`KEY_SENTINEL`] where the key goes.
    pub curl: String,
}
