//! Reading the operator's OpenAPI document (3.0 or 3.1, YAML or JSON) before it is stored:
//! bounded in size and depth, turned into JSON, and checked for what the docs pages rely on.
//! A refusal names the first problem's location (a JSON pointer) and its reason; nothing in
//! a document is ever run or fetched (external `$ref`s are left as they are).

use serde_json::{Map, Value};

mod reference;
pub mod relay;
mod samples;
mod search;
pub use reference::{first_call, reference, server_urls, MAX_REFERENCE_ROWS, MAX_SCHEMA_DEPTH, MAX_TREE_ROWS};
pub use search::{query_words, search, GuideText};

pub use crate::dto::docs::MAX_DOCUMENT_BYTES;
/// The deepest nesting accepted (objects and arrays), well inside the parsers' own limits.
pub const MAX_DEPTH: usize = 64;
/// The most operations a document may describe.
pub const MAX_OPERATIONS: usize = 5_000;

/// The HTTP methods a path item may hold, in the order the docs list them.
pub const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Why a document was refused: where (a JSON pointer, `/` for the whole) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocError {
    /// The location of the first problem, as a JSON pointer (`/paths/~1pets/get`).
    pub location: String,
    /// What is wrong there, for people.
    pub reason: String,
}

impl std::fmt::Display for DocError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at {}: {}", self.location, self.reason)
    }
}

impl std::error::Error for DocError {}

fn refuse<T>(location: &str, reason: impl Into<String>) -> Result<T, DocError> {
    Err(DocError { location: if location.is_empty() { "/".into() } else { location.to_owned() }, reason: reason.into() })
}

/// A document that passed the checks.
#[derive(Clone, Debug)]
pub struct CheckedDocument {
    /// `3.0.3`, `3.1.0`, …
    pub openapi: String,
    /// `info.title`.
    pub title: String,
    /// `info.version` (the API's version, not the document format's).
    pub version: String,
    /// How many operations the document describes.
    pub operations: usize,
    /// The document as JSON (object keys as strings).
    pub json: Value,
    /// `yaml` or `json`: how it was written.
    pub format: &'static str,
}

/// Escapes one JSON pointer segment (`~` → `~0`, `/` → `~1`).
pub fn pointer_segment(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Reads and checks a document.
pub fn check_document(bytes: &[u8]) -> Result<CheckedDocument, DocError> {
    if bytes.is_empty() {
        return refuse("/", "the document is empty");
    }
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return refuse("/", format!("the document is {:.1} MB; the most accepted is {} MB", bytes.len() as f64 / 1_048_576.0, MAX_DOCUMENT_BYTES / 1_048_576));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| DocError { location: "/".into(), reason: format!("the document is not UTF-8 text (byte {})", e.valid_up_to()) })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (json, format) = if text.trim_start().starts_with('{') {
        let v: Value = serde_json::from_str(text).map_err(|e| DocError { location: "/".into(), reason: format!("not valid JSON: {e}") })?;
        (v, "json")
    } else {
        check_flow_depth(text)?;
        let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(|e| DocError { location: "/".into(), reason: format!("not valid YAML: {e}") })?;
        (yaml_to_json(v, 0)?, "yaml")
    };
    check_depth(&json)?;
    check_structure(json, format)
}

/// Refuses YAML whose flow collections (`[…]`, `{…}`) nest deeper than [`MAX_DEPTH`], in
/// one pass before parsing (libyaml reads deep flow nesting slowly). Quoted scalars and
/// comments are skipped; block nesting needs indentation, which the size limit bounds.
fn check_flow_depth(text: &str) -> Result<(), DocError> {
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    let mut prev_space = true;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return refuse("/", format!("the document nests deeper than {MAX_DEPTH} levels"));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'#' if prev_space => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' if prev_space || matches!(bytes.get(i.wrapping_sub(1)), Some(b'[' | b'{' | b',' | b':')) => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'\'' if prev_space || matches!(bytes.get(i.wrapping_sub(1)), Some(b'[' | b'{' | b',' | b':')) => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b'\'' {
                        if bytes.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
            }
            _ => {}
        }
        prev_space = matches!(bytes.get(i), Some(b' ' | b'\t' | b'\n' | b'\r'));
        i += 1;
    }
    Ok(())
}

/// YAML to JSON: keys become strings (`200:` is the key "200"), tags are dropped, numbers
/// JSON cannot hold are refused.
fn yaml_to_json(v: serde_yaml_ng::Value, depth: usize) -> Result<Value, DocError> {
    use serde_yaml_ng::Value as Y;
    if depth > MAX_DEPTH {
        return refuse("/", format!("the document nests deeper than {MAX_DEPTH} levels"));
    }
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                match n.as_f64().and_then(serde_json::Number::from_f64) {
                    Some(f) => Value::Number(f),
                    None => return refuse("/", format!("the number {n} cannot be written in JSON")),
                }
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(|i| yaml_to_json(i, depth + 1)).collect::<Result<_, _>>()?),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    Y::Null => "null".into(),
                    _ => return refuse("/", "a mapping key is not a plain value"),
                };
                out.insert(key, yaml_to_json(v, depth + 1)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value, depth)?,
    })
}

/// Refuses nesting deeper than [`MAX_DEPTH`], without recursion.
fn check_depth(v: &Value) -> Result<(), DocError> {
    let mut stack = vec![(v, 0usize)];
    while let Some((v, d)) = stack.pop() {
        if d > MAX_DEPTH {
            return refuse("/", format!("the document nests deeper than {MAX_DEPTH} levels"));
        }
        match v {
            Value::Object(m) => stack.extend(m.values().map(|c| (c, d + 1))),
            Value::Array(a) => stack.extend(a.iter().map(|c| (c, d + 1))),
            _ => {}
        }
    }
    Ok(())
}

fn object<'a>(v: &'a Value, at: &str, what: &str) -> Result<&'a Map<String, Value>, DocError> {
    v.as_object().map_or_else(|| refuse(at, format!("{what} must be an object, found {}", kind(v))), Ok)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn check_structure(json: Value, format: &'static str) -> Result<CheckedDocument, DocError> {
    let root = object(&json, "", "the document")?;
    let openapi = match root.get("openapi") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => return refuse("/openapi", format!("must be a string such as \"3.1.0\", found {}", kind(other))),
        None if root.contains_key("swagger") => return refuse("/swagger", "this is a Swagger 2.0 document; convert it to OpenAPI 3 first"),
        None => return refuse("/openapi", "missing: the document must say its OpenAPI version (3.0.x or 3.1.x)"),
    };
    let v31 = openapi.starts_with("3.1.");
    let well_formed = openapi.split('.').count() == 3 && openapi.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed || !(openapi.starts_with("3.0.") || v31) {
        return refuse("/openapi", format!("version {openapi:?} is not supported: Keyport reads OpenAPI 3.0.x and 3.1.x"));
    }
    let info = object(root.get("info").unwrap_or(&Value::Null), "/info", "info")?;
    let title = match info.get("title") {
        Some(Value::String(t)) if !t.trim().is_empty() => t.trim().to_owned(),
        _ => return refuse("/info/title", "missing: the API needs a title"),
    };
    let version = match info.get("version") {
        Some(Value::String(v)) => v.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return refuse("/info/version", "missing: the API needs a version (a string such as \"1.0\")"),
    };
    let paths = root.get("paths");
    if paths.is_none() && !(v31 && (root.contains_key("webhooks") || root.contains_key("components"))) {
        return refuse("/paths", "missing: the document describes no paths");
    }
    let mut operations = 0usize;
    let mut ids = std::collections::HashSet::new();
    if let Some(paths) = paths {
        for (path, item) in object(paths, "/paths", "paths")? {
            let at = format!("/paths/{}", pointer_segment(path));
            if !path.starts_with('/') {
                return refuse(&at, format!("a path must start with \"/\", found {path:?}"));
            }
            let item = object(item, &at, "a path item")?;
            for (method, op) in item {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                let op_at = format!("{at}/{method}");
                let op = object(op, &op_at, "an operation")?;
                if !v31 && !op.contains_key("responses") {
                    return refuse(&format!("{op_at}/responses"), "missing: an OpenAPI 3.0 operation must list its responses");
                }
                if let Some(r) = op.get("responses") {
                    object(r, &format!("{op_at}/responses"), "responses")?;
                }
                if let Some(id) = op.get("operationId") {
                    let Some(id) = id.as_str() else { return refuse(&format!("{op_at}/operationId"), "must be a string") };
                    if !ids.insert(id.to_owned()) {
                        return refuse(&format!("{op_at}/operationId"), format!("{id:?} is used by another operation too; operation ids must be unique"));
                    }
                }
                operations += 1;
                if operations > MAX_OPERATIONS {
                    return refuse("/paths", format!("the document describes more than {MAX_OPERATIONS} operations"));
                }
            }
        }
    }
    check_refs(&json)?;
    Ok(CheckedDocument { openapi, title, version, operations, json, format })
}

/// Every `$ref` is a string, and one inside the document (`#/…`) points at something.
/// External references are kept as they are (never fetched) and shown as links.
fn check_refs(root: &Value) -> Result<(), DocError> {
    let mut stack: Vec<(&Value, String)> = vec![(root, String::new())];
    while let Some((v, at)) = stack.pop() {
        match v {
            Value::Object(m) => {
                if let Some(r) = m.get("$ref") {
                    let ref_at = format!("{at}/$ref");
                    let Some(r) = r.as_str() else { return refuse(&ref_at, "a $ref must be a string") };
                    if let Some(pointer) = r.strip_prefix('#') {
                        if resolve_pointer(root, pointer).is_none() {
                            return refuse(&ref_at, format!("{r:?} points at nothing in this document"));
                        }
                    }
                }
                for (k, c) in m {
                    stack.push((c, format!("{at}/{}", pointer_segment(k))));
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    stack.push((c, format!("{at}/{i}")));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Follows a JSON pointer (`/components/schemas/Pet`, percent-escapes decoded).
pub fn resolve_pointer<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    if pointer.is_empty() {
        return Some(root);
    }
    let decoded = percent_decode(pointer)?;
    let mut v = root;
    for seg in decoded.strip_prefix('/')?.split('/') {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        v = match v {
            Value::Object(m) => m.get(&seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// For tests: the shared OpenAPI fixtures (real documents written by others), read where
/// they live and never copied into the repository: `$KEYPORT_FIXTURES/openapi`, else
/// `../shared/fixtures/openapi` beside the checkout. Panics when neither exists.
#[doc(hidden)]
pub fn shared_openapi_fixtures() -> std::path::PathBuf {
    [
        std::env::var("KEYPORT_FIXTURES").ok().map(std::path::PathBuf::from),
        Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures")),
        Some(std::path::PathBuf::from("/work/shared/fixtures")),
    ]
    .into_iter()
    .flatten()
    .map(|p| p.join("openapi"))
    .find(|p| p.is_dir())
    .expect("the shared OpenAPI fixtures (../shared/fixtures/openapi, or set KEYPORT_FIXTURES)")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn refused(doc: &str) -> DocError {
        check_document(doc.as_bytes()).expect_err(doc)
    }

    pub(crate) fn fixtures() -> std::path::PathBuf {
        super::shared_openapi_fixtures()
    }

    #[test]
    fn every_shared_fixture_is_read_with_its_operations() {
        let mut read = 0;
        for entry in std::fs::read_dir(fixtures()).unwrap() {
            let path = entry.unwrap().path();
            if !matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")) {
                continue;
            }
            let doc = check_document(&std::fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!doc.title.is_empty(), "{}", path.display());
            let webhooks_only = doc.json.get("paths").is_none();
            assert!(doc.operations > 0 || webhooks_only, "{}: no operations", path.display());
            read += 1;
        }
        assert!(read >= 20, "only {read} fixtures");
    }

    #[test]
    fn a_refusal_names_the_first_problem_and_where_it_is() {
        assert_eq!(refused("").location, "/");
        assert!(refused("{ not json").reason.starts_with("not valid JSON"));
        assert!(refused("a: [unclosed").reason.starts_with("not valid YAML"));
        let e = refused("swagger: '2.0'\ninfo: {title: T, version: '1'}\npaths: {}");
        assert_eq!(e.location, "/swagger");
        let e = refused("openapi: 4.0.0\ninfo: {title: T, version: '1'}\npaths: {}");
        assert_eq!((e.location.as_str(), e.reason.contains("3.0.x and 3.1.x")), ("/openapi", true));
        assert_eq!(refused("openapi: 3.0.3\npaths: {}").location, "/info");
        assert_eq!(refused("openapi: 3.0.3\ninfo: {version: '1'}\npaths: {}").location, "/info/title");
        assert_eq!(refused("openapi: 3.0.3\ninfo: {title: T, version: '1'}").location, "/paths");
        let e = refused("openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  pets: {}");
        assert_eq!(e.location, "/paths/pets");
        let e = refused("openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /a/b:\n    get: {summary: x}");
        assert_eq!(e.location, "/paths/~1a~1b/get/responses");
        let dup = "openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths:\n  /a: {get: {operationId: x}}\n  /b: {get: {operationId: x}}";
        assert!(refused(dup).location.ends_with("/get/operationId"));
        let dangling = "openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths:\n  /a: {get: {responses: {'200': {$ref: '#/components/responses/Nope'}}}}";
        let e = refused(dangling);
        assert_eq!(e.location, "/paths/~1a/get/responses/200/$ref");
        assert!(e.reason.contains("points at nothing"));
    }

    #[test]
    fn hostile_documents_are_refused_without_a_crash() {
        // Deep nesting, in both syntaxes: refused by depth, not by a stack overflow.
        let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(refused(&format!("{{\"a\": {deep_json}}}")).location, "/");
        // (libyaml reads deep flow nesting slowly: it is refused before parsing.)
        let t = std::time::Instant::now();
        let deep_yaml = format!("a: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(refused(&deep_yaml).reason.contains("nests deeper"));
        let deep_mixed = format!("a: {}{}", "{b: [".repeat(20_000), "]}".repeat(20_000));
        assert!(refused(&deep_mixed).reason.contains("nests deeper"));
        assert!(t.elapsed() < std::time::Duration::from_secs(5), "refused at once, not after parsing: {:?}", t.elapsed());
        // Brackets inside quotes and comments are text, not nesting.
        let quoted = format!("openapi: 3.1.0\ninfo: {{title: '{}', version: \"{}\"}} # {}\npaths: {{}}\n", "[".repeat(200), "{".repeat(200), "[".repeat(200));
        assert!(check_document(quoted.as_bytes()).is_ok());
        // Too big.
        let big = format!("openapi: 3.1.0\ninfo: {{title: T, version: '1'}}\npaths: {{}}\nx: '{}'", "a".repeat(MAX_DOCUMENT_BYTES));
        assert!(refused(&big).reason.contains("the most accepted is 5 MB"));
        // Not text.
        assert!(check_document(&[0xff, 0xfe, 0x00]).is_err());
        // Aliases that would expand exponentially ("billion laughs").
        let mut laughs = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for i in 1..9u8 {
            let prev = (b'a' + i - 1) as char;
            let name = (b'a' + i) as char;
            laughs.push_str(&format!("{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
        }
        assert!(check_document(laughs.as_bytes()).is_err());
    }

    #[test]
    fn yaml_keys_become_strings_and_circular_refs_are_allowed() {
        let doc = "openapi: 3.0.3\ninfo: {title: Pets, version: 1.0}\npaths:\n  /pets:\n    get:\n      responses:\n        200: {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Node'}}}}\ncomponents:\n  schemas:\n    Node: {type: object, properties: {next: {$ref: '#/components/schemas/Node'}}}\n";
        let d = check_document(doc.as_bytes()).unwrap();
        assert_eq!((d.title.as_str(), d.version.as_str(), d.operations, d.format), ("Pets", "1.0", 1, "yaml"));
        assert!(d.json["paths"]["/pets"]["get"]["responses"].get("200").is_some());
        assert_eq!(resolve_pointer(&d.json, "/components/schemas/Node/type"), Some(&Value::from("object")));
    }
}
