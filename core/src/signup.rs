//! The operator's extra sign-up questions (the `signup.fields` setting) and the checking of a
//! new developer's answers to them. Shared with the UI: pages render the questions from the
//! same type the server checks answers against.
//!
//! The setting is a JSON array, at most [`MAX_FIELDS`] objects:
//! `{"name": "company", "label": "Company", "required": true}` asks for a line of text;
//! `{"name": "use_case", "label": "What will you build?", "type": "choice", "choices": ["Payments", "Other"]}`
//! offers a list. `required` defaults to `false`, `type` to `text`; any other member is refused.

use crate::validate::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most questions the sign-up form may ask.
pub const MAX_FIELDS: usize = 10;
/// The longest label (and choice), in characters.
pub const MAX_LABEL_CHARS: usize = 80;
/// The most choices a question may offer.
pub const MAX_CHOICES: usize = 20;
/// The longest text answer, in characters.
pub const MAX_ANSWER_CHARS: usize = 500;
/// The longest field name (`[a-z][a-z0-9_]*`).
pub const MAX_NAME_CHARS: usize = 32;

/// One extra question asked on the sign-up form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupField {
    /// Its name (`company`): the key its answer is stored under.
    pub name: String,
    /// What the form asks (plain text, escaped where it is shown).
    pub label: String,
    /// Whether an answer is needed to sign up.
    pub required: bool,
    /// The answers to choose from; empty for a free-text question.
    pub choices: Vec<String>,
}

impl SignupField {
    /// The form field (and field-error) name of its answer: `signup_<name>`.
    pub fn field_id(&self) -> String {
        format!("signup_{}", self.name)
    }

    /// Whether the answer is chosen from a list.
    pub fn is_choice(&self) -> bool {
        !self.choices.is_empty()
    }
}

/// Parses and checks the `signup.fields` value; empty text means no questions. Every refusal
/// says what is wrong and where (`field 2 ("company"): …`).
pub fn parse_fields(raw: &str) -> Result<Vec<SignupField>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let value: serde_json::Value = serde_json::from_str(raw).map_err(|e| format!("expected a JSON array of questions: {e}"))?;
    let Some(items) = value.as_array() else {
        return Err("expected a JSON array of questions, like [{\"name\":\"company\",\"label\":\"Company\",\"required\":true}]".into());
    };
    if items.len() > MAX_FIELDS {
        return Err(format!("at most {MAX_FIELDS} questions (got {})", items.len()));
    }
    let mut fields: Vec<SignupField> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("question {}", i + 1);
        let field = parse_field(item).map_err(|m| match item.get("name").and_then(|n| n.as_str()) {
            Some(n) if is_name(n) => format!("{at} ({n:?}): {m}"),
            _ => format!("{at}: {m}"),
        })?;
        if fields.iter().any(|f| f.name == field.name) {
            return Err(format!("{at} ({:?}): this name is used twice; names must be unique", field.name));
        }
        fields.push(field);
    }
    Ok(fields)
}

fn parse_field(item: &serde_json::Value) -> Result<SignupField, String> {
    let Some(obj) = item.as_object() else {
        return Err("expected an object with name and label".into());
    };
    if let Some(other) = obj.keys().find(|k| !["name", "label", "required", "type", "choices"].contains(&k.as_str())) {
        return Err(format!("unknown member {other:?} (known: name, label, required, type, choices)"));
    }
    let name = match obj.get("name") {
        Some(serde_json::Value::String(n)) if is_name(n) => n.clone(),
        Some(serde_json::Value::String(n)) => {
            return Err(format!("the name {n:?} must be a lower-case letter then up to {} letters, digits or _", MAX_NAME_CHARS - 1))
        }
        Some(_) => return Err("name must be text".into()),
        None => return Err("name is missing".into()),
    };
    let label = match obj.get("label") {
        Some(serde_json::Value::String(l)) => plain_line(l).map_err(|m| format!("label {m}"))?,
        Some(_) => return Err("label must be text".into()),
        None => return Err("label is missing".into()),
    };
    let required = match obj.get("required") {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Bool(b)) => *b,
        Some(_) => return Err("required must be true or false".into()),
    };
    let kind = match obj.get("type") {
        None | Some(serde_json::Value::Null) => "text",
        Some(serde_json::Value::String(t)) if t == "text" || t == "choice" => t.as_str(),
        Some(t) => return Err(format!("type must be \"text\" or \"choice\", not {t}")),
    };
    let choices = match (kind, obj.get("choices")) {
        ("text", None | Some(serde_json::Value::Null)) => Vec::new(),
        ("text", Some(_)) => return Err("choices are only for \"type\": \"choice\"".into()),
        (_, Some(serde_json::Value::Array(list))) => {
            if list.is_empty() || list.len() > MAX_CHOICES {
                return Err(format!("choices must list 1 to {MAX_CHOICES} answers (got {})", list.len()));
            }
            let mut out: Vec<String> = Vec::with_capacity(list.len());
            for c in list {
                let c = c.as_str().ok_or("every choice must be text")?;
                let c = plain_line(c).map_err(|m| format!("choice {c:?}: {m}"))?;
                if out.contains(&c) {
                    return Err(format!("the choice {c:?} is listed twice"));
                }
                out.push(c);
            }
            out
        }
        (_, Some(_)) => return Err("choices must be a JSON array of text".into()),
        (_, None) => return Err("a choice question needs choices".into()),
    };
    Ok(SignupField { name, label, required, choices })
}

/// `[a-z][a-z0-9_]{0,31}`.
fn is_name(n: &str) -> bool {
    let mut bytes = n.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z')) && n.len() <= MAX_NAME_CHARS && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// 1 to [`MAX_LABEL_CHARS`] characters of one line of text, trimmed.
fn plain_line(s: &str) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() {
        Err("must not be empty".into())
    } else if t.chars().count() > MAX_LABEL_CHARS {
        Err(format!("must be at most {MAX_LABEL_CHARS} characters"))
    } else if t.chars().any(char::is_control) {
        Err("must be one line of plain text".into())
    } else {
        Ok(t.to_owned())
    }
}

#[derive(Serialize)]
struct Stored<'a> {
    name: &'a str,
    label: &'a str,
    required: bool,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    choices: &'a [String],
}

/// The questions as the setting stores them: compact JSON, every member spelled out.
pub fn fields_json(fields: &[SignupField]) -> String {
    let stored: Vec<Stored<'_>> = fields
        .iter()
        .map(|f| Stored { name: &f.name, label: &f.label, required: f.required, kind: if f.is_choice() { "choice" } else { "text" }, choices: &f.choices })
        .collect();
    serde_json::to_string(&stored).unwrap_or_else(|_| "[]".into())
}

/// Checks a developer's answers against the questions asked now: each required one answered,
/// a text answer one line of at most [`MAX_ANSWER_CHARS`] characters, a choice one of the
/// choices. Answers to questions not asked are ignored; empty optional ones are left out.
/// A refusal is a field error on the question's field (`signup_<name>`).
pub fn check_answers(fields: &[SignupField], answers: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, FieldError> {
    let mut out = BTreeMap::new();
    for f in fields {
        let answer = answers.get(&f.name).map(|a| a.trim()).unwrap_or("");
        if answer.is_empty() {
            if f.required {
                let m = if f.is_choice() { "Choose an answer: this question is required." } else { "Answer this question: it is required." };
                return Err(FieldError::new(&f.field_id(), m));
            }
            continue;
        }
        if f.is_choice() {
            if !f.choices.iter().any(|c| c == answer) {
                return Err(FieldError::new(&f.field_id(), "Choose one of the answers listed."));
            }
        } else if answer.chars().count() > MAX_ANSWER_CHARS || answer.chars().any(char::is_control) {
            return Err(FieldError::new(&f.field_id(), format!("Keep the answer to one line of at most {MAX_ANSWER_CHARS} characters.")));
        }
        out.insert(f.name.clone(), answer.to_owned());
    }
    Ok(out)
}

/// Stored answers (a JSON object of name to answer) as pairs of label and answer: the
/// questions asked now first, in their order and by their labels, then answers to questions
/// since removed, under their names.
pub fn labelled_answers(fields: &[SignupField], stored: Option<&str>) -> Vec<(String, String)> {
    let mut answers = stored_answers(stored);
    let mut out = Vec::with_capacity(answers.len());
    for f in fields {
        if let Some(a) = answers.remove(&f.name) {
            out.push((f.label.clone(), a));
        }
    }
    out.extend(answers);
    out
}

/// Stored answers as a map of name to answer (nothing for none, or for a value that is not a
/// JSON object; answers that are not text are skipped).
pub fn stored_answers(stored: Option<&str>) -> BTreeMap<String, String> {
    let Some(map) = stored.and_then(|s| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(s).ok()) else {
        return BTreeMap::new();
    };
    map.into_iter().filter_map(|(k, v)| Some((k, v.as_str()?.to_owned()))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Vec<SignupField> {
        parse_fields(
            r#"[{"name":"company","label":"Company","required":true},
                {"name":"use_case","label":"What will you build?","type":"choice","choices":["Payments","Invoicing","Other"]},
                {"name":"site","label":"Website"}]"#,
        )
        .unwrap()
    }

    fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn questions_parse_with_their_defaults_and_come_back_as_compact_json() {
        let f = fields();
        assert_eq!(f.len(), 3);
        assert!(f[0].required && !f[0].is_choice());
        assert_eq!(f[1].choices, ["Payments", "Invoicing", "Other"]);
        assert!(!f[2].required);
        let json = fields_json(&f);
        assert_eq!(
            json,
            r#"[{"name":"company","label":"Company","required":true,"type":"text"},{"name":"use_case","label":"What will you build?","required":false,"type":"choice","choices":["Payments","Invoicing","Other"]},{"name":"site","label":"Website","required":false,"type":"text"}]"#
        );
        assert_eq!(parse_fields(&json).unwrap(), f, "the stored form parses to the same questions");
        assert_eq!(parse_fields("").unwrap(), vec![]);
        assert_eq!(parse_fields("[]").unwrap(), vec![]);
    }

    #[test]
    fn answers_are_checked_against_the_questions() {
        let f = fields();
        let ok = check_answers(&f, &answers(&[("company", " Acme "), ("use_case", "Payments"), ("stranger", "ignored")])).unwrap();
        assert_eq!(ok, answers(&[("company", "Acme"), ("use_case", "Payments")]), "trimmed, unknown dropped, empty optional left out");
        let refused = |pairs: &[(&str, &str)]| check_answers(&f, &answers(pairs)).unwrap_err();
        assert_eq!(refused(&[]).field, "signup_company");
        assert_eq!(refused(&[("company", "   ")]).field, "signup_company");
        assert_eq!(refused(&[("company", "Acme"), ("use_case", "Crypto")]).field, "signup_use_case");
        assert_eq!(refused(&[("company", "two\nlines")]).field, "signup_company");
        assert_eq!(refused(&[("company", &"x".repeat(501))]).field, "signup_company");
        assert!(check_answers(&f, &answers(&[("company", &"x".repeat(500))])).is_ok());
    }

    #[test]
    fn stored_answers_are_labelled_by_the_questions_asked_now() {
        let f = fields();
        let stored = r#"{"use_case":"Other","company":"Acme","old_question":"kept"}"#;
        assert_eq!(
            labelled_answers(&f, Some(stored)),
            vec![("Company".into(), "Acme".into()), ("What will you build?".into(), "Other".into()), ("old_question".into(), "kept".into())]
        );
        assert!(labelled_answers(&f, None).is_empty());
        assert!(labelled_answers(&f, Some("not json")).is_empty());
    }
}
