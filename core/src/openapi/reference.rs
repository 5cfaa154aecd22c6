//! The reference the docs pages draw from a checked document: operations by tag, their
//! parameters, bodies and responses with schema trees and examples, the security they need,
//! and code samples. Everything is bounded: schema trees stop at [`MAX_SCHEMA_DEPTH`] and
//! [`MAX_TREE_ROWS`], a reference at [`MAX_REFERENCE_ROWS`], and a circular `$ref` ends in a
//! row saying so; nothing here recurses deeper than those limits.

use crate::dto::docs::*;
use serde_json::{Map, Value};

use super::{resolve_pointer, METHODS};

/// The deepest a schema tree is drawn.
pub const MAX_SCHEMA_DEPTH: u8 = 10;
/// The most rows one schema tree has.
pub const MAX_TREE_ROWS: usize = 300;
/// The most schema rows one reference has; past it trees show named schemas as links.
pub const MAX_REFERENCE_ROWS: usize = 40_000;
/// The longest example shown, in bytes.
const MAX_EXAMPLE_BYTES: usize = 16 * 1024;
/// The most alternatives of a `oneOf`/`anyOf` drawn, and properties of an object.
const MAX_VARIANTS: usize = 20;
const MAX_PROPERTIES: usize = 200;

/// Follows `$ref`s inside the document (at most a few hops, so a cycle of references ends).
pub(crate) fn deref<'a>(root: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..8 {
        match v.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')).and_then(|p| resolve_pointer(root, p)) {
            Some(next) => v = next,
            None => break,
        }
    }
    v
}

pub(crate) fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// The name a `$ref` gives its target: the last segment of the pointer.
fn ref_name(r: &str) -> String {
    let last = r.rsplit('/').next().unwrap_or(r);
    last.replace("~1", "/").replace("~0", "~")
}

/// A `$ref` to a schema inside the document: (its name, its pointer).
fn local_ref(schema: &Value) -> Option<(String, &str)> {
    let r = schema.get("$ref")?.as_str()?;
    Some((ref_name(r), r.strip_prefix('#')?))
}

/// A schema's type in words: `string (date-time)`, `array of Pet`, `Pet`, `one of A, B`.
fn type_label(schema: &Value, depth: usize) -> String {
    if depth > 3 {
        return "…".into();
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return ref_name(r);
    }
    // allOf merges its parts: an object, unless the schema says otherwise.
    if schema.get("allOf").is_some() && schema.get("type").is_none() {
        return "object".into();
    }
    for (key, words) in [("oneOf", "one of"), ("anyOf", "any of")] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = list.iter().take(5).map(|s| type_label(s, depth + 1)).collect();
            let more = if list.len() > 5 { ", …" } else { "" };
            return format!("{words} {}{more}", parts.join(", "));
        }
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => {
            let ts: Vec<&str> = ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect();
            if ts.is_empty() { "null".into() } else { ts.join(" or ") }
        }
        _ if schema.get("properties").is_some() || schema.get("additionalProperties").is_some() => "object".into(),
        _ if schema.get("items").is_some() => "array".into(),
        _ if schema.get("enum").is_some() || schema.get("const").is_some() => "enum".into(),
        _ => "any".into(),
    };
    if ty == "array" {
        let items = schema.get("items").map(|i| type_label(i, depth + 1)).unwrap_or_else(|| "any".into());
        return format!("array of {items}");
    }
    match schema.get("format").and_then(Value::as_str) {
        Some(f) => format!("{ty} ({f})"),
        None => ty,
    }
}

/// May be null: 3.0's `nullable`, or 3.1's `null` among the types.
fn nullable(schema: &Value) -> bool {
    flag(schema, "nullable")
        || schema.get("type").and_then(Value::as_array).is_some_and(|ts| ts.iter().any(|t| t == "null"))
        || ["oneOf", "anyOf"].iter().any(|k| schema.get(*k).and_then(Value::as_array).is_some_and(|l| l.iter().any(|s| s.get("type").is_some_and(|t| t == "null"))))
}

/// Compact JSON, cut at `max` characters.
fn short_json(v: &Value, max: usize) -> String {
    let s = v.to_string();
    if s.chars().count() > max {
        format!("{}…", s.chars().take(max).collect::<String>())
    } else {
        s
    }
}

/// A schema's limits, default, pattern and such, in words.
fn constraints(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let num = |k: &str| schema.get(k).filter(|v| v.is_number()).map(|v| v.to_string());
    // 3.0: exclusiveMinimum is a flag on minimum; 3.1: a number of its own.
    match (num("minimum"), schema.get("exclusiveMinimum")) {
        (Some(m), Some(Value::Bool(true))) => out.push(format!("> {m}")),
        (Some(m), _) => out.push(format!("≥ {m}")),
        _ => {}
    }
    if let Some(m) = num("exclusiveMinimum") {
        out.push(format!("> {m}"));
    }
    match (num("maximum"), schema.get("exclusiveMaximum")) {
        (Some(m), Some(Value::Bool(true))) => out.push(format!("< {m}")),
        (Some(m), _) => out.push(format!("≤ {m}")),
        _ => {}
    }
    if let Some(m) = num("exclusiveMaximum") {
        out.push(format!("< {m}"));
    }
    for (k, words) in [
        ("multipleOf", "multiple of"),
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minItems", "min items"),
        ("maxItems", "max items"),
        ("minProperties", "min properties"),
        ("maxProperties", "max properties"),
    ] {
        if let Some(v) = num(k) {
            out.push(format!("{words} {v}"));
        }
    }
    if flag(schema, "uniqueItems") {
        out.push("unique items".into());
    }
    if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
        out.push(format!("pattern {}", short_json(&Value::from(p), 120)));
    }
    if let Some(c) = schema.get("const") {
        out.push(format!("always {}", short_json(c, 120)));
    }
    if let Some(d) = schema.get("default") {
        out.push(format!("default: {}", short_json(d, 120)));
    }
    out
}

/// The enum values shown, and how many more there are.
fn enum_values(schema: &Value) -> (Vec<String>, u32) {
    let Some(list) = schema.get("enum").and_then(Value::as_array) else { return (Vec::new(), 0) };
    let shown = list.iter().take(MAX_ENUM_SHOWN).map(|v| short_json(v, 80)).collect();
    (shown, list.len().saturating_sub(MAX_ENUM_SHOWN) as u32)
}

fn schema_example(schema: &Value) -> Option<String> {
    schema
        .get("example")
        .or_else(|| schema.get("examples").and_then(Value::as_array).and_then(|e| e.first()))
        .map(|v| short_json(v, 200))
}

/// Draws schemas as flat trees within a budget shared by the whole reference.
struct Trees<'a> {
    root: &'a Value,
    /// Rows the reference may still draw.
    left: usize,
    truncated: bool,
}

/// One tree being drawn.
struct Tree<'a> {
    rows: Vec<SchemaRow>,
    /// The named schemas being expanded, outermost first: meeting one again is a cycle.
    stack: Vec<&'a str>,
    /// Named schemas below the root are links, not expanded (the schemas section).
    expand_refs: bool,
    cut: bool,
}

impl<'a> Trees<'a> {
    fn tree(&mut self, schema: &'a Value, expand_refs: bool) -> Vec<SchemaRow> {
        let mut t = Tree { rows: Vec::new(), stack: Vec::new(), expand_refs: expand_refs && self.left > MAX_TREE_ROWS, cut: false };
        self.node(&mut t, None, false, schema, 0);
        self.left = self.left.saturating_sub(t.rows.len());
        self.truncated |= t.cut;
        t.rows
    }

    fn full(&self, t: &Tree) -> bool {
        t.rows.len() >= MAX_TREE_ROWS.min(self.left)
    }

    /// One row for `schema` (named `name` in its parent), then its children.
    fn node(&mut self, t: &mut Tree<'a>, name: Option<String>, required: bool, schema: &'a Value, depth: u8) {
        if self.full(t) {
            t.cut = true;
            return;
        }
        let mut row = SchemaRow { depth, name, required, ..Default::default() };
        // A reference: to a schema being expanded (a cycle), to one not expanded here, or
        // outside the document (never fetched).
        let mut target = schema;
        let mut pushed = false;
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let name = ref_name(r);
            row.ref_name = Some(name.clone());
            let Some((_, pointer)) = local_ref(schema) else {
                row.type_label = format!("external: {r}");
                t.rows.push(row);
                return;
            };
            let Some(resolved) = resolve_pointer(self.root, pointer) else {
                row.type_label = name;
                t.rows.push(row);
                return;
            };
            // Siblings of $ref (3.1) describe this use of it.
            row.description = text(schema, "description");
            if t.stack.contains(&pointer) {
                row.type_label = name;
                row.circular = true;
                t.rows.push(row);
                return;
            }
            if (depth > 0 && !t.expand_refs) || depth >= MAX_SCHEMA_DEPTH {
                row.type_label = type_label(resolved, 1);
                row.collapsed = true;
                t.rows.push(row);
                return;
            }
            target = deref(self.root, resolved);
            t.stack.push(pointer);
            pushed = true;
        }
        self.describe(&mut row, target);
        // An array of a schema being expanded: the row says so (its items are not drawn).
        if let Some((name, pointer)) = target.get("items").and_then(local_ref) {
            if t.stack.contains(&pointer) {
                row.circular = true;
                row.ref_name.get_or_insert(name);
            }
        }
        if depth >= MAX_SCHEMA_DEPTH && has_children(target) {
            row.collapsed = true;
            t.rows.push(row);
        } else {
            t.rows.push(row);
            self.children(t, target, depth);
        }
        if pushed {
            t.stack.pop();
        }
    }

    fn describe(&self, row: &mut SchemaRow, s: &Value) {
        if row.type_label.is_empty() {
            row.type_label = type_label(s, 0);
        }
        if let Some(name) = &row.ref_name {
            // `Pet` reads better than `object` for a named object.
            if row.type_label == "object" {
                row.type_label = name.clone();
            }
        }
        row.nullable = nullable(s);
        row.deprecated = flag(s, "deprecated");
        row.read_only = flag(s, "readOnly");
        row.write_only = flag(s, "writeOnly");
        if row.description.is_none() {
            row.description = text(s, "description");
        }
        (row.enum_values, row.enum_more) = enum_values(s);
        row.constraints = constraints(s);
        row.example = schema_example(s);
        for (key, words) in [("oneOf", "one of"), ("anyOf", "any of")] {
            if s.get(key).and_then(Value::as_array).is_some_and(|l| !l.is_empty()) {
                row.choice = Some(words.into());
                row.type_label = words.into();
            }
        }
    }

    /// The rows under a schema: its properties (with those of every `allOf` part), the
    /// alternatives of a `oneOf`/`anyOf`, an array's items.
    fn children(&mut self, t: &mut Tree<'a>, s: &'a Value, depth: u8) {
        let d = depth + 1;
        if let Some(parts) = s.get("allOf").and_then(Value::as_array) {
            for part in parts.iter().take(MAX_VARIANTS) {
                // A part may be a reference: expand its properties here, unless that
                // closes a cycle.
                match local_ref(part) {
                    Some((_, pointer)) if t.stack.contains(&pointer) => {}
                    Some((_, pointer)) => {
                        if let Some(resolved) = resolve_pointer(self.root, pointer) {
                            t.stack.push(pointer);
                            self.children(t, deref(self.root, resolved), depth);
                            t.stack.pop();
                        }
                    }
                    None => self.children(t, part, depth),
                }
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(list) = s.get(key).and_then(Value::as_array) {
                for (i, v) in list.iter().take(MAX_VARIANTS).enumerate() {
                    self.node(t, Some(format!("option {}", i + 1)), false, v, d);
                }
            }
        }
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            let required: Vec<&str> = s.get("required").and_then(Value::as_array).map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            for (name, p) in props.iter().take(MAX_PROPERTIES) {
                self.node(t, Some(name.clone()), required.contains(&name.as_str()), p, d);
            }
        }
        if let Some(extra) = s.get("additionalProperties").filter(|v| v.is_object()) {
            self.node(t, Some("[key]".into()), false, extra, d);
        }
        if let Some(items) = s.get("items").filter(|v| v.is_object()) {
            // An array's row already says "array of X": draw X's insides one level down.
            match local_ref(items) {
                Some((_, pointer)) if t.stack.contains(&pointer) => {}
                Some(_) if !t.expand_refs || d >= MAX_SCHEMA_DEPTH => {}
                Some((_, pointer)) => {
                    if let Some(resolved) = resolve_pointer(self.root, pointer) {
                        t.stack.push(pointer);
                        self.children(t, deref(self.root, resolved), depth);
                        t.stack.pop();
                    }
                }
                None if has_children(items) => self.children(t, items, depth),
                None => {}
            }
        }
    }
}

fn has_children(s: &Value) -> bool {
    ["properties", "allOf", "oneOf", "anyOf", "additionalProperties", "items"].iter().any(|k| s.get(*k).is_some_and(|v| v.is_object() || v.is_array()))
}

/// Which parts of a schema an example holds.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// What a caller sends: no read-only properties.
    Request,
    /// What comes back: no write-only properties.
    Response,
}

/// An example value made from a schema: its own example, default or first enum value when
/// it has one, else a value of its type; bounded in depth, and a cycle ends in `null`.
pub(crate) fn example_for(root: &Value, schema: &Value, dir: Direction) -> Value {
    let mut stack = Vec::new();
    let mut budget = 2_000usize;
    make_example(root, schema, dir, 0, &mut stack, &mut budget)
}

fn make_example<'a>(root: &'a Value, schema: &'a Value, dir: Direction, depth: usize, stack: &mut Vec<&'a str>, budget: &mut usize) -> Value {
    if depth > 12 || *budget == 0 {
        return Value::Null;
    }
    *budget -= 1;
    let mut s = schema;
    let mut pushed = false;
    if let Some((_, pointer)) = local_ref(schema) {
        if stack.contains(&pointer) {
            return Value::Null;
        }
        let Some(resolved) = resolve_pointer(root, pointer) else { return Value::Null };
        s = deref(root, resolved);
        stack.push(pointer);
        pushed = true;
    }
    let out = example_of(root, s, dir, depth, stack, budget);
    if pushed {
        stack.pop();
    }
    out
}

fn example_of<'a>(root: &'a Value, s: &'a Value, dir: Direction, depth: usize, stack: &mut Vec<&'a str>, budget: &mut usize) -> Value {
    if let Some(v) = s.get("example").or_else(|| s.get("examples").and_then(Value::as_array).and_then(|e| e.first())).or_else(|| s.get("const")).or_else(|| s.get("default")) {
        return v.clone();
    }
    if let Some(v) = s.get("enum").and_then(Value::as_array).and_then(|e| e.first()) {
        return v.clone();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = s.get(key).and_then(Value::as_array).and_then(|l| l.iter().find(|v| !v.get("type").is_some_and(|t| t == "null"))) {
            return make_example(root, first, dir, depth + 1, stack, budget);
        }
    }
    let ty = match s.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("null"),
        _ if s.get("properties").is_some() || s.get("allOf").is_some() || s.get("additionalProperties").is_some() => "object",
        _ if s.get("items").is_some() => "array",
        _ => "any",
    };
    match ty {
        "object" => {
            let mut map = Map::new();
            if let Some(parts) = s.get("allOf").and_then(Value::as_array) {
                for part in parts.iter().take(MAX_VARIANTS) {
                    if let Value::Object(m) = make_example(root, part, dir, depth + 1, stack, budget) {
                        map.extend(m);
                    }
                }
            }
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                for (name, p) in props.iter().take(50) {
                    let p_resolved = deref(root, p);
                    let skip = match dir {
                        Direction::Request => flag(p, "readOnly") || flag(p_resolved, "readOnly"),
                        Direction::Response => flag(p, "writeOnly") || flag(p_resolved, "writeOnly"),
                    };
                    if !skip {
                        map.insert(name.clone(), make_example(root, p, dir, depth + 1, stack, budget));
                    }
                }
            }
            Value::Object(map)
        }
        "array" => match s.get("items") {
            Some(items) => match make_example(root, items, dir, depth + 1, stack, budget) {
                Value::Null => Value::Array(Vec::new()),
                v => Value::Array(vec![v]),
            },
            None => Value::Array(Vec::new()),
        },
        "string" => Value::from(match s.get("format").and_then(Value::as_str) {
            Some("date-time") => "2026-01-31T12:00:00Z",
            Some("date") => "2026-01-31",
            Some("time") => "12:00:00",
            Some("email") => "dev@example.com",
            Some("uuid") => "3fa85f64-5717-4562-b3fc-2c963f66afa6",
            Some("uri" | "url") => "https://example.com",
            Some("ipv4") => "192.0.2.1",
            Some("ipv6") => "2001:db8::1",
            Some("byte") => "aGVsbG8=",
            Some("password") => "********",
            _ => "string",
        }),
        "integer" => s.get("minimum").filter(|v| v.is_i64() || v.is_u64()).cloned().unwrap_or(Value::from(1)),
        "number" => s.get("minimum").filter(|v| v.is_number()).cloned().unwrap_or(Value::from(1.5)),
        "boolean" => Value::Bool(true),
        _ => Value::Null,
    }
}

/// Pretty JSON, cut short past [`MAX_EXAMPLE_BYTES`].
fn pretty(v: &Value) -> String {
    let s = serde_json::to_string_pretty(v).unwrap_or_default();
    if s.len() > MAX_EXAMPLE_BYTES {
        let mut end = MAX_EXAMPLE_BYTES;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}\n…", &s[..end])
    } else {
        s
    }
}

fn is_json(media_type: &str) -> bool {
    let m = media_type.split(';').next().unwrap_or("").trim();
    m == "application/json" || m.ends_with("+json") || m == "*/*"
}

/// The examples of one media type: the document's own, else one made from the schema (for
/// JSON bodies).
fn media_examples(root: &Value, media_type: &str, media: &Value, dir: Direction) -> Vec<ExampleView> {
    let show = |v: &Value| match v {
        Value::String(s) if !is_json(media_type) => s.clone(),
        v => pretty(v),
    };
    if let Some(v) = media.get("example") {
        return vec![ExampleView { name: None, summary: None, value: show(v), generated: false }];
    }
    if let Some(examples) = media.get("examples").and_then(Value::as_object).filter(|e| !e.is_empty()) {
        return examples
            .iter()
            .take(5)
            .map(|(name, e)| {
                let e = deref(root, e);
                let value = match (e.get("value"), text(e, "externalValue")) {
                    (Some(v), _) => show(v),
                    (None, Some(url)) => format!("(at {url})"),
                    (None, None) => String::new(),
                };
                ExampleView { name: Some(name.clone()), summary: text(e, "summary"), value, generated: false }
            })
            .collect();
    }
    match media.get("schema") {
        Some(schema) if is_json(media_type) => {
            let v = example_for(root, schema, dir);
            if v.is_null() {
                Vec::new()
            } else {
                vec![ExampleView { name: None, summary: None, value: pretty(&v), generated: true }]
            }
        }
        _ => Vec::new(),
    }
}

fn contents<'a>(trees: &mut Trees<'a>, holder: &'a Value, dir: Direction) -> Vec<MediaView> {
    let Some(content) = holder.get("content").and_then(Value::as_object) else { return Vec::new() };
    let root = trees.root;
    content
        .iter()
        .map(|(media_type, media)| MediaView {
            media_type: media_type.clone(),
            schema: media.get("schema").map(|s| trees.tree(s, true)).unwrap_or_default(),
            examples: media_examples(root, media_type, media, dir),
        })
        .collect()
}

fn parameter_view(p: &Value, location: String, name: String) -> ParameterView {
    let schema = p.get("schema").cloned().unwrap_or(Value::Null);
    let (enum_values, enum_more) = enum_values(&schema);
    ParameterView {
        required: flag(p, "required") || location == "path",
        deprecated: flag(p, "deprecated"),
        type_label: if schema.is_null() { p.get("content").and_then(Value::as_object).and_then(|c| c.keys().next().cloned()).unwrap_or_else(|| "any".into()) } else { type_label(&schema, 0) },
        description: text(p, "description"),
        constraints: constraints(&schema),
        enum_values,
        enum_more,
        example: p
            .get("example")
            .or_else(|| p.get("examples").and_then(Value::as_object).and_then(|e| e.values().next()).and_then(|e| e.get("value")))
            .map(|v| short_json(v, 200))
            .or_else(|| schema_example(&schema)),
        name,
        location,
    }
}

/// How a scheme is carried, in words.
fn scheme_summary(s: &Value) -> String {
    match s.get("type").and_then(Value::as_str).unwrap_or("") {
        "apiKey" => format!("API key in the {} {}", text(s, "in").unwrap_or_else(|| "header".into()), text(s, "name").map(|n| format!("`{n}`")).unwrap_or_default()).trim_end().to_owned(),
        "http" => match text(s, "scheme").map(|x| x.to_ascii_lowercase()).as_deref() {
            Some("bearer") => "Bearer token in the `Authorization` header".into(),
            Some("basic") => "HTTP Basic authentication".into(),
            Some(other) => format!("HTTP {other} authentication"),
            None => "HTTP authentication".into(),
        },
        "oauth2" => "OAuth 2.0".into(),
        "openIdConnect" => "OpenID Connect".into(),
        "mutualTLS" => "Mutual TLS (a client certificate)".into(),
        other => other.to_owned(),
    }
}

fn schemes(root: &Value) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    root.pointer("/components/securitySchemes").and_then(Value::as_object).unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

/// The security an operation needs: its own requirements, else the document's.
fn security(root: &Value, op: &Value) -> (Vec<Vec<SecurityUse>>, bool, Vec<String>) {
    let reqs = op.get("security").or_else(|| root.get("security")).and_then(Value::as_array).cloned().unwrap_or_default();
    let schemes = schemes(root);
    let mut optional = false;
    let mut alternatives = Vec::new();
    let mut scopes: Vec<String> = Vec::new();
    for req in reqs.iter().take(10) {
        let Some(req) = req.as_object() else { continue };
        if req.is_empty() {
            optional = true;
            continue;
        }
        let mut uses = Vec::new();
        for (name, wanted) in req.iter().take(10) {
            let scheme = schemes.get(name).map(|s| deref(root, s)).unwrap_or(&Value::Null);
            let wanted: Vec<String> = wanted.as_array().map(|a| a.iter().filter_map(Value::as_str).take(50).map(str::to_owned).collect()).unwrap_or_default();
            // Scopes of a key-like scheme are what a Keyport key must hold.
            if matches!(scheme.get("type").and_then(Value::as_str), Some("apiKey" | "http")) {
                for s in &wanted {
                    if !scopes.contains(s) {
                        scopes.push(s.clone());
                    }
                }
            }
            uses.push(SecurityUse { scheme: name.clone(), summary: scheme_summary(scheme), scopes: wanted });
        }
        alternatives.push(uses);
    }
    if let Some(own) = op.get("x-keyport-scopes").and_then(Value::as_array) {
        scopes = own.iter().filter_map(Value::as_str).take(50).map(str::to_owned).collect();
    }
    (alternatives, optional, scopes)
}

/// How calls carry a key: the first apiKey or bearer scheme the document uses (its own
/// `security`, else any declared), else Keyport's default, `Authorization: Bearer`.
fn key_usage(root: &Value) -> KeyUsage {
    let schemes = schemes(root);
    let used: Vec<&String> = root
        .get("security")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_object).flat_map(|m| m.keys()).collect())
        .unwrap_or_default();
    let candidates = used.into_iter().filter_map(|n| schemes.get_key_value(n)).chain(schemes.iter());
    for (name, s) in candidates {
        let s = deref(root, s);
        match (s.get("type").and_then(Value::as_str), text(s, "in").as_deref(), text(s, "scheme").map(|x| x.to_ascii_lowercase()).as_deref()) {
            (Some("apiKey"), Some(location @ ("header" | "query")), _) => {
                if let Some(header) = text(s, "name") {
                    return KeyUsage { location: location.into(), name: header, prefix: String::new(), scheme: Some(name.clone()) };
                }
            }
            (Some("http"), _, Some("bearer")) => {
                return KeyUsage { location: "header".into(), name: "Authorization".into(), prefix: "Bearer ".into(), scheme: Some(name.clone()) };
            }
            _ => {}
        }
    }
    KeyUsage { location: "header".into(), name: "Authorization".into(), prefix: "Bearer ".into(), scheme: None }
}

/// The base URL of calls: the first server with its variables at their defaults; a relative
/// one (or none) is taken against the configured API URL.
fn base_url(root: &Value, api_base_url: &str) -> Option<String> {
    let fallback = api_base_url.trim_end_matches('/');
    let Some(server) = root.get("servers").and_then(Value::as_array).and_then(|s| s.first()) else {
        return (!fallback.is_empty()).then(|| fallback.to_owned());
    };
    server_url(server, fallback)
}

/// Every server of the document as a base URL (variables at their defaults, relative ones
/// against the configured API URL), or the configured API URL when it names none: where the
/// docs' "Try it" may send calls.
pub fn server_urls(root: &Value, api_base_url: &str) -> Vec<String> {
    let fallback = api_base_url.trim_end_matches('/');
    match root.get("servers").and_then(Value::as_array).filter(|s| !s.is_empty()) {
        Some(servers) => servers.iter().take(20).filter_map(|s| server_url(s, fallback)).collect(),
        None => (!fallback.is_empty()).then(|| vec![fallback.to_owned()]).unwrap_or_default(),
    }
}

fn server_url(server: &Value, fallback: &str) -> Option<String> {
    let mut url = text(server, "url").unwrap_or_default();
    if let Some(vars) = server.get("variables").and_then(Value::as_object) {
        for (name, var) in vars.iter().take(20) {
            let value = var.get("default").map(|d| d.as_str().map(str::to_owned).unwrap_or_else(|| d.to_string())).unwrap_or_default();
            url = url.replace(&format!("{{{name}}}"), &value);
        }
    }
    let url = url.trim_end_matches('/').to_owned();
    if url.starts_with("http://") || url.starts_with("https://") {
        Some(url)
    } else if !fallback.is_empty() {
        Some(format!("{fallback}{}", if url.starts_with('/') || url.is_empty() { url } else { format!("/{url}") }))
    } else {
        (!url.is_empty()).then_some(url)
    }
}

/// An operation's parameters: its path item's, then its own (an own one replaces a shared
/// one of the same name and place).
fn operation_params<'a>(doc: &'a Value, shared: &[&'a Value], op: &'a Value) -> Vec<(ParameterView, &'a Value)> {
    let mut params: Vec<(ParameterView, &Value)> = Vec::new();
    let own: Vec<&Value> = op.get("parameters").and_then(Value::as_array).map(|p| p.iter().collect()).unwrap_or_default();
    for p in shared.iter().chain(own.iter()) {
        let p = deref(doc, p);
        let (Some(name), Some(location)) = (text(p, "name"), text(p, "in")) else { continue };
        let view = parameter_view(p, location, name);
        params.retain(|(q, _)| !(q.name == view.name && q.location == view.location));
        params.push((view, p));
    }
    params
}

/// An operation that says `security: []` takes no key.
fn keyless(op: &Value) -> bool {
    op.get("security").and_then(Value::as_array).is_some_and(|s| s.is_empty())
}

/// The quickstart's call: the document's first `GET` that takes a key (else its first `GET`),
/// as a curl command with [`crate::dto::docs::KEY_SENTINEL`] where the key goes. Reads only
/// that operation, so it stays cheap on a large document.
pub fn first_call(doc: &Value, api_base_url: &str) -> Option<QuickCall> {
    let paths = doc.get("paths").and_then(Value::as_object)?;
    let gets = || paths.iter().filter_map(|(path, item)| Some((path, deref(doc, item), deref(doc, item).get("get")?)));
    let (path, item, op) = gets().find(|(_, _, op)| !keyless(op)).or_else(|| gets().next())?;
    let server = base_url(doc, api_base_url);
    let key_usage = key_usage(doc);
    let shared: Vec<&Value> = item.get("parameters").and_then(Value::as_array).map(|p| p.iter().collect()).unwrap_or_default();
    let params = operation_params(doc, &shared, op);
    let call = super::samples::Call::new(doc, server.as_deref().unwrap_or(""), path, "get", &params, op, (!keyless(op)).then_some(&key_usage));
    let curl = super::samples::samples(&call).into_iter().find(|s| s.lang == "curl")?.code;
    let id = op.get("operationId").and_then(Value::as_str);
    Some(QuickCall {
        path: path.clone(),
        summary: text(op, "summary").or_else(|| id.map(str::to_owned)).unwrap_or_else(|| path.clone()),
        anchor: anchor_for(id, "get", path),
        curl,
    })
}

fn anchor_for(id: Option<&str>, method: &str, path: &str) -> String {
    let raw = id.map(str::to_owned).unwrap_or_else(|| format!("{method}{path}"));
    format!("op-{}", crate::dto::docs::anchor_safe(&raw))
}

/// The reference the docs pages draw, from a checked document: operations by tag (the
/// document's tag order, then tags as first used, untagged last), parameters of the path
/// item and the operation (the operation's win), responses in the document's order.
/// `api_base_url` is the configured API URL, for documents naming no absolute server.
pub fn reference(doc: &Value, api_base_url: &str) -> ApiReference {
    let info = doc.get("info").cloned().unwrap_or(Value::Null);
    let server = base_url(doc, api_base_url);
    let key_usage = key_usage(doc);
    let mut trees = Trees { root: doc, left: MAX_REFERENCE_ROWS, truncated: false };
    let mut groups: Vec<TagGroup> = doc
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| tags.iter().filter_map(|t| Some(TagGroup { name: text(t, "name")?, description: text(t, "description"), operations: Vec::new() })).collect())
        .unwrap_or_default();
    let mut other = Vec::new();
    let mut anchors = std::collections::HashSet::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let item = deref(doc, item);
            let shared: Vec<&Value> = item.get("parameters").and_then(Value::as_array).map(|p| p.iter().collect()).unwrap_or_default();
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let params = operation_params(doc, &shared, op);
                let request_body = op.get("requestBody").map(|b| deref(doc, b)).map(|b| BodyView {
                    required: flag(b, "required"),
                    description: text(b, "description"),
                    contents: contents(&mut trees, b, Direction::Request),
                });
                let responses = op
                    .get("responses")
                    .and_then(Value::as_object)
                    .map(|rs| {
                        rs.iter()
                            .map(|(status, r)| {
                                let r = deref(doc, r);
                                ResponseView {
                                    status: status.clone(),
                                    description: text(r, "description").unwrap_or_default(),
                                    headers: r
                                        .get("headers")
                                        .and_then(Value::as_object)
                                        .map(|h| h.iter().take(30).map(|(name, hd)| parameter_view(deref(doc, hd), "header".into(), name.clone())).collect())
                                        .unwrap_or_default(),
                                    contents: contents(&mut trees, r, Direction::Response),
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let (security, security_optional, scopes) = security(doc, op);
                let call = super::samples::Call::new(doc, server.as_deref().unwrap_or(""), path, method, &params, op, (!keyless(op)).then_some(&key_usage));
                let id = op.get("operationId").and_then(Value::as_str);
                let mut anchor = anchor_for(id, method, path);
                while !anchors.insert(anchor.clone()) {
                    anchor.push('_');
                }
                let view = OperationView {
                    anchor,
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: text(op, "summary").or_else(|| id.map(str::to_owned)).unwrap_or_else(|| path.clone()),
                    description: text(op, "description"),
                    deprecated: flag(op, "deprecated"),
                    parameters: params.into_iter().map(|(v, _)| v).collect(),
                    request_body,
                    responses,
                    security,
                    security_optional,
                    scopes,
                    samples: super::samples::samples(&call),
                };
                match op.get("tags").and_then(Value::as_array).and_then(|t| t.first()).and_then(Value::as_str) {
                    Some(tag) => match groups.iter_mut().find(|g| g.name == tag) {
                        Some(g) => g.operations.push(view),
                        None => groups.push(TagGroup { name: tag.to_owned(), description: None, operations: vec![view] }),
                    },
                    None => other.push(view),
                }
            }
        }
    }
    groups.retain(|g| !g.operations.is_empty());
    if !other.is_empty() {
        groups.push(TagGroup { name: "Other".into(), description: None, operations: other });
    }
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| {
            let mut seen = std::collections::HashSet::new();
            m.iter()
                .map(|(name, s)| {
                    let mut anchor = schema_anchor(name);
                    while !seen.insert(anchor.clone()) {
                        anchor.push('_');
                    }
                    let mut rows = trees.tree(s, false);
                    if let Some(first) = rows.first_mut() {
                        first.ref_name = Some(name.clone());
                        if first.type_label == "object" {
                            first.type_label = name.clone();
                        }
                    }
                    NamedSchema { name: name.clone(), anchor, rows }
                })
                .collect()
        })
        .unwrap_or_default();
    let security_schemes = schemes(doc)
        .iter()
        .map(|(name, s)| {
            let s = deref(doc, s);
            SecuritySchemeView { name: name.clone(), kind: text(s, "type").unwrap_or_default(), summary: scheme_summary(s), description: text(s, "description") }
        })
        .collect();
    ApiReference {
        title: text(&info, "title").unwrap_or_default(),
        version: text(&info, "version").or_else(|| info.get("version").map(|v| v.to_string())).unwrap_or_default(),
        description: text(&info, "description"),
        server,
        groups,
        schemas,
        security_schemes,
        key_usage,
        truncated: trees.truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::check_document;
    use crate::openapi::tests::fixtures;

    #[test]
    fn the_reference_groups_operations_by_tag_with_their_parameters_and_responses() {
        let mut operations = 0;
        for entry in std::fs::read_dir(fixtures()).unwrap() {
            let path = entry.unwrap().path();
            let Ok(doc) = check_document(&std::fs::read(&path).unwrap()) else { continue };
            let r = reference(&doc.json, "");
            let n: usize = r.groups.iter().map(|g| g.operations.len()).sum();
            assert_eq!(n, doc.operations, "{}: every operation is in the reference", path.display());
            operations += n;
        }
        assert!(operations > 100, "{operations}");
        let doc = check_document(b"openapi: 3.0.3\ninfo: {title: Pets, version: '1'}\ntags: [{name: pets, description: All about pets}]\npaths:\n  /pets/{id}:\n    parameters: [{name: id, in: path, schema: {type: integer, format: int64}}]\n    get:\n      tags: [pets]\n      operationId: getPet\n      parameters: [{$ref: '#/components/parameters/Verbose'}]\n      responses: {'200': {description: The pet, content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Pet'}}}}}}\n  /health:\n    get: {responses: {default: {description: fine}}}\ncomponents:\n  parameters:\n    Verbose: {name: verbose, in: query, schema: {type: boolean}}\n  schemas:\n    Pet: {type: object}\n").unwrap();
        let r = reference(&doc.json, "");
        assert_eq!(r.groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["pets", "Other"]);
        let get = &r.groups[0].operations[0];
        assert_eq!((get.anchor.as_str(), get.method.as_str(), get.summary.as_str()), ("op-getPet", "GET", "getPet"));
        let params: Vec<(&str, &str, bool, &str)> = get.parameters.iter().map(|p| (p.name.as_str(), p.location.as_str(), p.required, p.type_label.as_str())).collect();
        assert_eq!(params, [("id", "path", true, "integer (int64)"), ("verbose", "query", false, "boolean")]);
        assert_eq!(get.responses[0].contents.iter().map(|m| m.media_type.as_str()).collect::<Vec<_>>(), ["application/json"]);
        assert_eq!(r.groups[1].operations[0].anchor, "op-get-health");
    }


    fn doc(yaml: &str) -> Value {
        check_document(yaml.as_bytes()).unwrap_or_else(|e| panic!("{e}")).json
    }

    /// (depth, name, type) of each row.
    fn shape(rows: &[SchemaRow]) -> Vec<(u8, String, String)> {
        rows.iter().map(|r| (r.depth, r.name.clone().unwrap_or_default(), r.type_label.clone())).collect()
    }

    const SCHEMAS: &str = r#"openapi: 3.1.0
info: {title: Shapes, version: '1'}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Api-Key}
    oauth: {type: oauth2, flows: {clientCredentials: {tokenUrl: 'https://auth.example.com/token', scopes: {admin: all}}}}
  schemas:
    Node:
      type: object
      required: [id]
      properties:
        id: {type: string, format: uuid, readOnly: true}
        secret: {type: string, writeOnly: true}
        next: {$ref: '#/components/schemas/Node'}
        children: {type: array, items: {$ref: '#/components/schemas/Node'}}
    Pet:
      allOf:
        - $ref: '#/components/schemas/Base'
        - type: object
          properties:
            kind: {type: string, enum: [cat, dog]}
            owner: {type: [string, 'null'], deprecated: true}
            age: {type: integer, minimum: 0, maximum: 30, default: 1}
    Base:
      type: object
      properties:
        name: {type: string, maxLength: 64, example: Rex}
    Payment:
      oneOf:
        - $ref: '#/components/schemas/Card'
        - {type: object, properties: {iban: {type: string}}}
    Card: {type: object, properties: {last4: {type: string, pattern: '^[0-9]{4}$'}}}
security: [{key: [pets:read]}]
paths:
  /nodes:
    post:
      operationId: createNode
      requestBody: {required: true, content: {application/json: {schema: {$ref: '#/components/schemas/Node'}}}}
      responses: {'201': {description: made, content: {application/json: {schema: {$ref: '#/components/schemas/Node'}}}}}
  /pets/{petId}:
    get:
      operationId: getPet
      parameters: [{name: petId, in: path, required: true, schema: {type: string}}, {name: expand, in: query, required: true, schema: {type: string, enum: [owner, toys]}}]
      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}}
  /pay:
    post:
      operationId: pay
      security: [{oauth: [admin]}, {key: [payments:write]}]
      x-keyport-scopes: [payments:write, payments:read]
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Payment'}, example: {last4: '4242'}}}}
      responses: {'204': {description: paid}}
  /health:
    get:
      security: []
      responses: {'200': {description: up}}
"#;

    fn op<'a>(r: &'a ApiReference, id: &str) -> &'a OperationView {
        r.groups.iter().flat_map(|g| &g.operations).find(|o| o.anchor == format!("op-{id}")).unwrap()
    }

    #[test]
    fn schema_trees_cover_composition_enums_nullability_and_visibility() {
        let r = reference(&doc(SCHEMAS), "https://api.example.com");
        let pet = &op(&r, "getPet").responses[0].contents[0].schema;
        // allOf merges its parts' properties under the named schema.
        assert_eq!(shape(pet), [(0, "".into(), "Pet".into()), (1, "name".into(), "string".into()), (1, "kind".into(), "string".into()), (1, "owner".into(), "string".into()), (1, "age".into(), "integer".into())]);
        assert_eq!(pet[2].enum_values, ["\"cat\"", "\"dog\""]);
        assert!(pet[3].nullable && pet[3].deprecated);
        assert_eq!(pet[4].constraints, ["≥ 0", "≤ 30", "default: 1"]);
        assert_eq!(pet[1].constraints, ["max length 64"]);
        assert_eq!(pet[1].example.as_deref(), Some("\"Rex\""));
        // oneOf: alternatives one level down, a named one expanded.
        let pay = &op(&r, "pay").request_body.as_ref().unwrap().contents[0];
        assert_eq!(pay.schema[0].choice.as_deref(), Some("one of"));
        assert_eq!(shape(&pay.schema)[1..], [(1, "option 1".into(), "Card".into()), (2, "last4".into(), "string".into()), (1, "option 2".into(), "object".into()), (2, "iban".into(), "string".into())]);
        assert_eq!(pay.examples[0].value, "{\n  \"last4\": \"4242\"\n}");
        assert!(!pay.examples[0].generated);
    }

    #[test]
    fn circular_refs_end_in_a_row_that_says_so() {
        let r = reference(&doc(SCHEMAS), "");
        let body = &op(&r, "createNode").request_body.as_ref().unwrap().contents[0];
        let rows = &body.schema;
        assert_eq!(shape(rows), [
            (0, "".into(), "Node".into()),
            (1, "id".into(), "string (uuid)".into()),
            (1, "secret".into(), "string".into()),
            (1, "next".into(), "Node".into()),
            (1, "children".into(), "array of Node".into()),
        ]);
        assert!(rows[1].required && rows[1].read_only && rows[2].write_only);
        assert!(rows[3].circular && rows[3].ref_name.as_deref() == Some("Node"));
        // The request example leaves out what is read-only, the response's what is write-only.
        let req: Value = serde_json::from_str(&body.examples[0].value).unwrap();
        assert!(body.examples[0].generated);
        assert_eq!(req, serde_json::json!({"secret": "string", "next": null, "children": []}));
        let resp: Value = serde_json::from_str(&op(&r, "createNode").responses[0].contents[0].examples[0].value).unwrap();
        assert_eq!(resp["id"], "3fa85f64-5717-4562-b3fc-2c963f66afa6");
        assert!(resp.get("secret").is_none());
        // The named schemas: drawn once each, references inside as links.
        let node = r.schemas.iter().find(|s| s.name == "Node").unwrap();
        assert_eq!(node.anchor, "schema-Node");
        assert!(node.rows.iter().skip(1).all(|row| row.depth == 1));
    }

    #[test]
    fn security_and_scopes_per_operation() {
        let r = reference(&doc(SCHEMAS), "");
        let get = op(&r, "getPet");
        assert_eq!(get.security.len(), 1);
        assert_eq!((get.security[0][0].scheme.as_str(), get.security[0][0].summary.as_str()), ("key", "API key in the header `X-Api-Key`"));
        assert_eq!(get.scopes, ["pets:read"]);
        // x-keyport-scopes wins over the requirements' scopes; OAuth scopes are not the key's.
        let pay = op(&r, "pay");
        assert_eq!(pay.security.len(), 2);
        assert_eq!(pay.scopes, ["payments:write", "payments:read"]);
        let health = r.groups.iter().flat_map(|g| &g.operations).find(|o| o.path == "/health").unwrap();
        assert!(health.security.is_empty() && health.scopes.is_empty());
        assert!(!health.samples[0].code.contains(KEY_SENTINEL), "security: [] takes no key");
        assert_eq!(r.key_usage, KeyUsage { location: "header".into(), name: "X-Api-Key".into(), prefix: String::new(), scheme: Some("key".into()) });
        assert_eq!(r.security_schemes.len(), 2);
    }

    #[test]
    fn samples_are_built_from_the_document() {
        let r = reference(&doc(SCHEMAS), "https://api.example.com/");
        assert_eq!(r.server.as_deref(), Some("https://api.example.com"));
        let get = op(&r, "getPet");
        let curl = &get.samples[0].code;
        assert_eq!(curl, &format!("curl 'https://api.example.com/pets/PET_ID?expand=owner' \\\n  -H 'X-Api-Key: {KEY_SENTINEL}'"));
        let post = op(&r, "createNode");
        assert!(post.samples[0].code.starts_with("curl -X POST 'https://api.example.com/nodes'"), "{}", post.samples[0].code);
        assert!(post.samples[0].code.contains("-H 'Content-Type: application/json'"));
        assert!(post.samples[1].code.contains("method: \"POST\"") && post.samples[1].code.contains("JSON.stringify("));
        assert!(post.samples[2].code.contains("requests.post(") && post.samples[2].code.contains("json={"));
        assert!(post.samples[3].code.contains("http.NewRequest(\"POST\", \"https://api.example.com/nodes\", body)"));
        // Servers with variables take their defaults; a relative server joins the API URL.
        let d = doc("openapi: 3.0.3\ninfo: {title: T, version: '1'}\nservers: [{url: 'https://{region}.example.com/{v}', variables: {region: {default: eu}, v: {default: v2}}}]\npaths: {}");
        assert_eq!(reference(&d, "").server.as_deref(), Some("https://eu.example.com/v2"));
        let d = doc("openapi: 3.0.3\ninfo: {title: T, version: '1'}\nservers: [{url: /v1}]\npaths: {}");
        assert_eq!(reference(&d, "https://gw.example.com").server.as_deref(), Some("https://gw.example.com/v1"));
        let d = doc("openapi: 3.0.3\ninfo: {title: T, version: '1'}\nservers: [{url: 'https://a.example.com'}, {url: /v1}]\npaths: {}");
        assert_eq!(server_urls(&d, "https://gw.example.com"), ["https://a.example.com", "https://gw.example.com/v1"], "every server, for Try it");
        assert_eq!(server_urls(&doc("openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {}"), ""), Vec::<String>::new());
        // A query of an array of an enum takes its first value.
        let d = doc("openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {/p: {get: {parameters: [{name: status, in: query, required: true, schema: {type: array, items: {type: string, enum: [available, sold]}}}], responses: {'200': {description: ok}}}}}");
        assert!(reference(&d, "https://x.example").groups[0].operations[0].samples[0].code.contains("/p?status=available"));
        // No scheme in the document: Keyport's own, a bearer token.
        let d = doc("openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {/a: {get: {responses: {'200': {description: ok}}}}}");
        let r = reference(&d, "https://gw.example.com");
        assert!(r.groups[0].operations[0].samples[0].code.contains(&format!("Authorization: Bearer {KEY_SENTINEL}")));
    }

    #[test]
    fn hostile_schemas_stay_bounded() {
        // Every level refers to the next ten times: expanded naively, 10^8 rows.
        let mut yaml = String::from("openapi: 3.1.0\ninfo: {title: Boom, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/L0'}}}}}\ncomponents:\n  schemas:\n");
        for level in 0..8 {
            yaml.push_str(&format!("    L{level}:\n      type: object\n      properties:\n"));
            for p in 0..10 {
                if level < 7 {
                    yaml.push_str(&format!("        p{p}: {{$ref: '#/components/schemas/L{}'}}\n", level + 1));
                } else {
                    yaml.push_str(&format!("        p{p}: {{type: string}}\n"));
                }
            }
        }
        // A huge enum, a schema that is only a reference to itself, a long allOf chain.
        yaml.push_str("    Big: {type: string, enum: [");
        yaml.push_str(&(0..10_000).map(|i| format!("v{i}")).collect::<Vec<_>>().join(", "));
        yaml.push_str("]}\n    Me: {$ref: '#/components/schemas/Me'}\n    Loop: {allOf: [{$ref: '#/components/schemas/Loop'}], properties: {x: {oneOf: [{$ref: '#/components/schemas/Loop'}]}}}\n");
        let t = std::time::Instant::now();
        let d = doc(&yaml);
        let r = reference(&d, "");
        let tree = &r.groups[0].operations[0].responses[0].contents[0].schema;
        assert!(tree.len() <= MAX_TREE_ROWS, "{}", tree.len());
        assert!(r.truncated);
        let rows: usize = r.schemas.iter().map(|s| s.rows.len()).sum::<usize>() + tree.len();
        assert!(rows <= MAX_REFERENCE_ROWS);
        let big = r.schemas.iter().find(|s| s.name == "Big").unwrap();
        assert_eq!((big.rows[0].enum_values.len(), big.rows[0].enum_more), (30, 9_970));
        assert!(r.schemas.iter().any(|s| s.name == "Me"));
        let looped = r.schemas.iter().find(|s| s.name == "Loop").unwrap();
        assert!(looped.rows.len() < 10, "{:?}", shape(&looped.rows));
        let example = &r.groups[0].operations[0].responses[0].contents[0].examples[0].value;
        assert!(example.len() <= 17 * 1024, "{}", example.len());
        assert!(t.elapsed() < std::time::Duration::from_secs(5), "{:?}", t.elapsed());
    }

    #[test]
    fn the_first_call_is_the_first_get_that_takes_a_key() {
        let d = doc("openapi: 3.0.3\ninfo: {title: T, version: '1'}\nservers: [{url: 'https://api.example.com/v2'}]\ncomponents: {securitySchemes: {k: {type: apiKey, in: header, name: X-Api-Key}}}\nsecurity: [{k: []}]\npaths:\n  /health:\n    get: {security: [], responses: {'200': {description: ok}}}\n  /pets:\n    post: {responses: {'201': {description: ok}}}\n    get: {operationId: listPets, summary: List pets, parameters: [{name: limit, in: query, required: true, schema: {type: integer, example: 5}}], responses: {'200': {description: ok}}}\n");
        let c = first_call(&d, "").unwrap();
        assert_eq!((c.path.as_str(), c.summary.as_str(), c.anchor.as_str()), ("/pets", "List pets", "op-listPets"));
        assert!(c.curl.contains("https://api.example.com/v2/pets?limit=5") && c.curl.contains(&format!("X-Api-Key: {KEY_SENTINEL}")), "{}", c.curl);
        let r = reference(&d, "");
        assert!(r.groups.iter().flat_map(|g| &g.operations).any(|o| o.anchor == c.anchor), "the anchor is the reference's");
        assert!(first_call(&doc("openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths:\n  /a:\n    post: {responses: {'200': {description: ok}}}\n"), "").is_none());
    }

    #[test]
    fn the_demo_document_reads_fully() {
        let d = check_document(crate::services::demo::DEMO_DOCUMENT).unwrap();
        let r = reference(&d.json, "");
        assert_eq!(r.title, "Acme Payments API");
        assert_eq!(r.groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["Payments", "Invoices"]);
        assert_eq!(op(&r, "createPayment").scopes, ["payments:write"]);
        assert_eq!(op(&r, "listInvoices").scopes, ["invoices:read"]);
        // Payment → Invoice → payments: Payment is circular, drawn once.
        let payment = &op(&r, "getPayment").responses[0].contents[0].schema;
        assert!(payment.iter().any(|row| row.circular && row.ref_name.as_deref() == Some("Payment")), "{:?}", shape(payment));
        assert!(op(&r, "createPayment").samples[0].code.contains("-H 'Idempotency-Key: order-1042'"));
    }
}
