//! Code samples for one operation — curl, JavaScript (fetch), Python (requests), Go
//! (net/http) — built from the document: the method, the URL from its servers, the required
//! parameters with example values, an example body, and the developer's key where the
//! document says keys go ([`KEY_SENTINEL`] stands for it).

use crate::dto::docs::{placeholder, CodeSample, KeyUsage, ParameterView, KEY_SENTINEL};
use serde_json::Value;

use super::reference::{deref, example_for, Direction};

/// The body of a call.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Body {
    /// JSON (any `…json` media type).
    Json(String, Value),
    /// `application/x-www-form-urlencoded` fields.
    Form(Vec<(String, String)>),
    /// `multipart/form-data` fields.
    Multipart(Vec<(String, String)>),
    /// Anything else: sent from a file.
    File(String),
}

/// One call of an operation, as the samples make it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Call {
    pub method: String,
    /// The full URL, query string included.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Body>,
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(a) => a.iter().map(scalar).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Percent-encodes a URL part (RFC 3986 unreserved characters pass).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Call {
    /// The call of `method path` with the required parameters at example values (a path
    /// parameter without one becomes a placeholder such as `PET_ID`), the first request
    /// media type's example body, and the key (`None`: the operation takes none).
    pub(crate) fn new(root: &Value, base: &str, path: &str, method: &str, params: &[(ParameterView, &Value)], op: &Value, key: Option<&KeyUsage>) -> Self {
        let value_of = |view: &ParameterView, p: &Value| -> Option<String> {
            let given = p
                .get("example")
                .or_else(|| p.get("examples").and_then(Value::as_object).and_then(|e| e.values().next()).map(|e| deref(root, e)).and_then(|e| e.get("value")))
                .cloned()
                .or_else(|| {
                    let schema = p.get("schema")?;
                    let s = deref(root, schema);
                    let known = |s: &Value| s.get("example").is_some() || s.get("default").is_some() || s.get("enum").is_some() || s.get("examples").is_some();
                    // An array of an enum (`?status=available`) takes the first value too.
                    (known(s) || s.get("items").map(|i| deref(root, i)).is_some_and(known)).then(|| example_for(root, schema, Direction::Request))
                });
            match given {
                Some(v) => Some(scalar(&v)),
                None => {
                    let ty = p.get("schema").map(|s| deref(root, s)).and_then(|s| s.get("type")).and_then(Value::as_str).unwrap_or("string");
                    Some(match ty {
                        "integer" | "number" => "1".into(),
                        "boolean" => "true".into(),
                        _ => placeholder(&view.name),
                    })
                }
            }
        };
        let mut url_path = path.to_owned();
        let mut query: Vec<(String, String)> = Vec::new();
        let mut headers: Vec<(String, String)> = Vec::new();
        for (view, p) in params {
            let value = value_of(view, p).unwrap_or_default();
            match view.location.as_str() {
                "path" => url_path = url_path.replace(&format!("{{{}}}", view.name), &encode(&value)),
                "query" if view.required => query.push((view.name.clone(), value)),
                "header" if view.required && !["authorization", "content-type", "accept"].contains(&view.name.to_ascii_lowercase().as_str()) => {
                    headers.push((view.name.clone(), value))
                }
                _ => {}
            }
        }
        if let Some(k) = key {
            match k.location.as_str() {
                "query" => query.push((k.name.clone(), KEY_SENTINEL.into())),
                _ => headers.insert(0, (k.name.clone(), format!("{}{KEY_SENTINEL}", k.prefix))),
            }
        }
        let body = op.get("requestBody").map(|b| deref(root, b)).and_then(|b| b.get("content")).and_then(Value::as_object).and_then(|c| c.iter().next()).map(|(media_type, media)| {
            let schema = media.get("schema").cloned().unwrap_or(Value::Null);
            let example = media
                .get("example")
                .cloned()
                .or_else(|| media.get("examples").and_then(Value::as_object).and_then(|e| e.values().next()).map(|e| deref(root, e)).and_then(|e| e.get("value")).cloned())
                .unwrap_or_else(|| example_for(root, &schema, Direction::Request));
            let fields = |v: &Value| -> Vec<(String, String)> { v.as_object().map(|m| m.iter().take(30).map(|(k, v)| (k.clone(), scalar(v))).collect()).unwrap_or_default() };
            let m = media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            if m == "application/json" || m.ends_with("+json") || m == "*/*" {
                Body::Json(media_type.clone(), example)
            } else if m == "application/x-www-form-urlencoded" {
                Body::Form(fields(&example))
            } else if m == "multipart/form-data" {
                Body::Multipart(fields(&example))
            } else {
                Body::File(media_type.clone())
            }
        });
        match &body {
            Some(Body::Json(m, _) | Body::File(m)) => headers.push(("Content-Type".into(), m.clone())),
            Some(Body::Form(_)) => headers.push(("Content-Type".into(), "application/x-www-form-urlencoded".into())),
            _ => {}
        }
        let mut url = format!("{}{}", base.trim_end_matches('/'), url_path);
        if !query.is_empty() {
            let q: Vec<String> = query.iter().map(|(k, v)| format!("{}={}", encode(k), if v == KEY_SENTINEL { v.clone() } else { encode(v) })).collect();
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&q.join("&"));
        }
        Call { method: method.to_uppercase(), url, headers, body }
    }
}

/// A shell word in single quotes.
fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A string literal JavaScript, Python and Go all read (JSON's escapes are theirs too).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn form_string(fields: &[(String, String)]) -> String {
    fields.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

fn curl(c: &Call) -> String {
    let mut lines = vec![match c.method.as_str() {
        "GET" => format!("curl {}", sh(&c.url)),
        "HEAD" => format!("curl --head {}", sh(&c.url)),
        m => format!("curl -X {m} {}", sh(&c.url)),
    }];
    for (k, v) in &c.headers {
        lines.push(format!("  -H {}", sh(&format!("{k}: {v}"))));
    }
    match &c.body {
        Some(Body::Json(_, v)) => lines.push(format!("  -d {}", sh(&serde_json::to_string_pretty(v).unwrap_or_default()))),
        Some(Body::Form(f)) => lines.push(format!("  -d {}", sh(&form_string(f)))),
        Some(Body::Multipart(f)) => {
            for (k, v) in f {
                lines.push(format!("  -F {}", sh(&format!("{k}={v}"))));
            }
        }
        Some(Body::File(_)) => lines.push("  --data-binary @body.bin".into()),
        None => {}
    }
    lines.join(" \\\n")
}

fn javascript(c: &Call) -> String {
    let mut opts = Vec::new();
    if c.method != "GET" {
        opts.push(format!("  method: {},", quoted(&c.method)));
    }
    if !c.headers.is_empty() {
        let hs: Vec<String> = c.headers.iter().map(|(k, v)| format!("    {}: {},", quoted(k), quoted(v))).collect();
        opts.push(format!("  headers: {{\n{}\n  }},", hs.join("\n")));
    }
    let mut pre = String::new();
    match &c.body {
        Some(Body::Json(_, v)) => opts.push(format!("  body: JSON.stringify({}),", indent(&serde_json::to_string_pretty(v).unwrap_or_default(), "  "))),
        Some(Body::Form(f)) => opts.push(format!("  body: new URLSearchParams({}),", quoted(&form_string(f)))),
        Some(Body::Multipart(f)) => {
            pre.push_str("const form = new FormData();\n");
            for (k, v) in f {
                pre.push_str(&format!("form.append({}, {});\n", quoted(k), quoted(v)));
            }
            opts.push("  body: form,".into());
        }
        Some(Body::File(_)) => opts.push("  body: fileBlob, // the request body".into()),
        None => {}
    }
    let call = if opts.is_empty() { format!("await fetch({})", quoted(&c.url)) } else { format!("await fetch({}, {{\n{}\n}})", quoted(&c.url), opts.join("\n")) };
    format!("{pre}const res = {call};\nconsole.log(res.status, await res.text());")
}

fn indent(s: &str, by: &str) -> String {
    s.lines().enumerate().map(|(i, l)| if i == 0 { l.to_owned() } else { format!("{by}{l}") }).collect::<Vec<_>>().join("\n")
}

/// A JSON value as a Python literal.
fn python_value(v: &Value, depth: usize) -> String {
    let pad = "    ".repeat(depth + 1);
    let end = "    ".repeat(depth);
    match v {
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quoted(s),
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Array(a) => format!("[\n{}\n{end}]", a.iter().map(|x| format!("{pad}{},", python_value(x, depth + 1))).collect::<Vec<_>>().join("\n")),
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Object(m) => format!("{{\n{}\n{end}}}", m.iter().map(|(k, x)| format!("{pad}{}: {},", quoted(k), python_value(x, depth + 1))).collect::<Vec<_>>().join("\n")),
    }
}

fn python(c: &Call) -> String {
    let method = c.method.to_ascii_lowercase();
    let mut args = vec![format!("    {},", quoted(&c.url))];
    if !c.headers.is_empty() {
        let hs: Vec<String> = c.headers.iter().filter(|(k, _)| !(k == "Content-Type" && matches!(c.body, Some(Body::Json(..))))).map(|(k, v)| format!("{}: {}", quoted(k), quoted(v))).collect();
        if !hs.is_empty() {
            args.push(format!("    headers={{{}}},", hs.join(", ")));
        }
    }
    match &c.body {
        Some(Body::Json(_, v)) => args.push(format!("    json={},", python_value(v, 1))),
        Some(Body::Form(f)) => args.push(format!("    data={{{}}},", f.iter().map(|(k, v)| format!("{}: {}", quoted(k), quoted(v))).collect::<Vec<_>>().join(", "))),
        Some(Body::Multipart(f)) => args.push(format!("    files={{{}}},", f.iter().map(|(k, v)| format!("{}: (None, {})", quoted(k), quoted(v))).collect::<Vec<_>>().join(", "))),
        Some(Body::File(_)) => args.push("    data=open(\"body.bin\", \"rb\"),".into()),
        None => {}
    }
    let call = if ["get", "post", "put", "patch", "delete", "head", "options"].contains(&method.as_str()) {
        format!("requests.{method}(\n{}\n)", args.join("\n"))
    } else {
        format!("requests.request(\n    {},\n{}\n)", quoted(&c.method), args.join("\n"))
    };
    format!("import requests\n\nres = {call}\nprint(res.status_code, res.text)")
}

fn go(c: &Call) -> String {
    let body = match &c.body {
        Some(Body::Json(_, v)) => {
            let json = serde_json::to_string_pretty(v).unwrap_or_default();
            Some(if json.contains('`') { quoted(&json) } else { format!("`{json}`") })
        }
        Some(Body::Form(f)) => Some(quoted(&form_string(f))),
        // Go's multipart writer takes more lines than a sample should: send the fields
        // url-encoded as a form would be, with its content type.
        Some(Body::Multipart(f)) => Some(quoted(&form_string(f))),
        Some(Body::File(_)) => None,
        None => None,
    };
    let mut out = String::from("package main\n\nimport (\n\t\"fmt\"\n\t\"io\"\n\t\"net/http\"\n");
    if body.is_some() {
        out.push_str("\t\"strings\"\n");
    }
    out.push_str(")\n\nfunc main() {\n");
    let body_arg = match &body {
        Some(b) => {
            out.push_str(&format!("\tbody := strings.NewReader({b})\n"));
            "body"
        }
        None if matches!(c.body, Some(Body::File(_))) => {
            out.push_str("\tvar body io.Reader // the request body, from a file\n");
            "body"
        }
        None => "nil",
    };
    out.push_str(&format!("\treq, err := http.NewRequest({}, {}, {body_arg})\n\tif err != nil {{\n\t\tpanic(err)\n\t}}\n", quoted(&c.method), quoted(&c.url)));
    for (k, v) in &c.headers {
        out.push_str(&format!("\treq.Header.Set({}, {})\n", quoted(k), quoted(v)));
    }
    if matches!(c.body, Some(Body::Multipart(_))) {
        out.push_str("\treq.Header.Set(\"Content-Type\", \"application/x-www-form-urlencoded\")\n");
    }
    out.push_str("\tres, err := http.DefaultClient.Do(req)\n\tif err != nil {\n\t\tpanic(err)\n\t}\n\tdefer res.Body.Close()\n\tout, _ := io.ReadAll(res.Body)\n\tfmt.Println(res.Status, string(out))\n}");
    out
}

/// The four samples of a call.
pub(crate) fn samples(c: &Call) -> Vec<CodeSample> {
    [("curl", curl(c)), ("JavaScript", javascript(c)), ("Python", python(c)), ("Go", go(c))]
        .into_iter()
        .map(|(lang, code)| CodeSample { lang: lang.into(), code })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(body: Option<Body>) -> Call {
        Call {
            method: "POST".into(),
            url: "https://api.example.com/v1/pets?kind=it%27s".into(),
            headers: vec![("Authorization".into(), format!("Bearer {KEY_SENTINEL}")), ("Content-Type".into(), "application/json".into())],
            body,
        }
    }

    #[test]
    fn quotes_survive_every_language() {
        let c = call(Some(Body::Json("application/json".into(), serde_json::json!({"name": "O'Brien \"Bob\"", "tags": ["a`b"], "ok": true, "n": null}))));
        let s = samples(&c);
        assert_eq!(s.iter().map(|s| s.lang.as_str()).collect::<Vec<_>>(), ["curl", "JavaScript", "Python", "Go"]);
        assert!(s[0].code.contains(r#"-d '{"#) && s[0].code.contains(r"O'\''Brien"), "{}", s[0].code);
        assert!(s[2].code.contains("\"ok\": True") && s[2].code.contains("\"n\": None"), "{}", s[2].code);
        // A backtick in the body: Go gets a quoted string, not a raw one.
        assert!(!s[3].code.contains("strings.NewReader(`"), "{}", s[3].code);
        for sample in &s {
            assert!(sample.code.contains(KEY_SENTINEL), "{}", sample.lang);
        }
    }

    #[test]
    fn placeholders_read_as_such() {
        assert_eq!(placeholder("petId"), "PET_ID");
        assert_eq!(placeholder("file-name"), "FILE_NAME");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
        use crate::dto::docs::key_placeholder;
        assert_eq!(key_placeholder(Some("my ci")), "YOUR_MY_CI_KEY");
        assert_eq!(key_placeholder(Some("PaymentsBot")), "YOUR_PAYMENTS_BOT_KEY");
        assert_eq!(key_placeholder(Some("  ")), "YOUR_API_KEY");
        assert_eq!(key_placeholder(Some(&"x".repeat(60))), "YOUR_API_KEY");
        assert_eq!(key_placeholder(None), "YOUR_API_KEY");
    }
}
