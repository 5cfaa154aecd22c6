//! The docs' "Try it" relay and the code samples, against a small API the test starts on
//! loopback: the curl sample of each operation, run by the real `curl`, gets the documented
//! answer; the relay reaches the document's servers only, private addresses only when the
//! operator allows them, never follows a redirect, and cuts a huge answer.

use crate::helpers::{spawn_app, TestApp};
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode as Code};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use keyport_core::services::audit::RequestMeta;
use reqwest::StatusCode;
use serde_json::{json, Value};

const PET: &str = r#"{"id": 7, "name": "Rex", "tag": "dog"}"#;

/// The API the document describes: answers as documented when the key is there.
async fn local_api() -> String {
    let keyed = |h: &HeaderMap| h.get("x-api-key").and_then(|v| v.to_str().ok()).is_some_and(|k| k.starts_with("kp_test_"));
    let app = Router::new()
        .route(
            "/v1/pets/{id}",
            get(move |Path(id): Path<u64>, h: HeaderMap| async move {
                if !keyed(&h) {
                    return (Code::UNAUTHORIZED, Json(json!({"error": "no key"}))).into_response();
                }
                let mut pet: Value = serde_json::from_str(PET).unwrap();
                pet["id"] = id.into();
                ([("x-served-by", "local")], Json(pet)).into_response()
            }),
        )
        .route(
            "/v1/pets",
            axum::routing::post(move |h: HeaderMap, Json(body): Json<Value>| async move {
                if !keyed(&h) || h.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/json") {
                    return (Code::BAD_REQUEST, Json(json!({"error": "bad request"}))).into_response();
                }
                let mut pet = body;
                pet["id"] = 8.into();
                (Code::CREATED, Json(pet)).into_response()
            }),
        )
        .route("/v1/moved", get(|| async { (Code::FOUND, [("location", "http://example.com/")], "gone") }))
        .route("/v1/big", get(|| async { "a".repeat(300 * 1024) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}/v1", listener.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

fn document(server: &str) -> String {
    format!(
        "openapi: 3.0.3\ninfo: {{title: Pets, version: '1'}}\nservers: [{{url: '{server}'}}]\n\
         components:\n  securitySchemes: {{key: {{type: apiKey, in: header, name: X-Api-Key}}}}\n  \
           schemas:\n    Pet: {{type: object, required: [name], properties: {{id: {{type: integer, readOnly: true}}, name: {{type: string, example: Rex}}, tag: {{type: string, example: dog}}}}}}\n\
         security: [{{key: []}}]\n\
         paths:\n  /pets/{{petId}}:\n    get:\n      operationId: getPet\n      parameters: [{{name: petId, in: path, required: true, schema: {{type: integer, example: 7}}}}]\n      \
             responses: {{'200': {{description: the pet, content: {{application/json: {{schema: {{$ref: '#/components/schemas/Pet'}}, example: {PET}}}}}}}}}\n  \
           /pets:\n    post:\n      operationId: addPet\n      requestBody: {{required: true, content: {{application/json: {{schema: {{$ref: '#/components/schemas/Pet'}}}}}}}}\n      \
             responses: {{'201': {{description: made, content: {{application/json: {{schema: {{$ref: '#/components/schemas/Pet'}}}}}}}}}}\n  \
           /moved:\n    get: {{operationId: moved, responses: {{'302': {{description: elsewhere}}}}}}\n  \
           /big:\n    get: {{operationId: big, responses: {{'200': {{description: a lot}}}}}}\n"
    )
}

async fn try_call(app: &TestApp, method: &str, url: &str, headers: &str, body: &str) -> (StatusCode, Value) {
    let res = app.call("docs/try", &[("method", method), ("url", url), ("headers", headers), ("body", body)]).await;
    let status = res.status();
    (status, res.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_curl_samples_get_the_documented_answers_from_the_api() {
    let app = spawn_app().await;
    let base = local_api().await;
    let doc = keyport_core::openapi::check_document(document(&base).as_bytes()).unwrap();
    let r = keyport_core::openapi::reference(&doc.json, "");
    let op = |id: &str| r.groups.iter().flat_map(|g| &g.operations).find(|o| o.anchor == format!("op-{id}")).unwrap().clone();
    let run = |id: &str| {
        let curl = op(id).samples.iter().find(|s| s.lang == "curl").unwrap().code.replace(keyport_core::dto::docs::KEY_SENTINEL, "kp_test_sample");
        let out = std::process::Command::new("sh").arg("-c").arg(format!("{curl} --silent --show-error --fail-with-body")).output().expect("curl runs");
        assert!(out.status.success(), "{curl}\n{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap_or_else(|e| panic!("{curl}: {e}"))
    };
    // The documented example of GET /pets/{petId}, for the example id.
    assert_eq!(run("getPet"), serde_json::from_str::<Value>(PET).unwrap());
    // POST carries the example body made from the schema, as JSON.
    let made = run("addPet");
    assert_eq!((made["id"].as_i64(), made["name"].as_str()), (Some(8), Some("Rex")), "{made}");
    assert!(made.get("id").is_some() && op("addPet").samples[0].code.contains("Content-Type: application/json"));
    drop(app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_it_reaches_only_the_documents_servers_and_private_ones_only_when_allowed() {
    let app = spawn_app().await;
    let meta = RequestMeta::default();
    let base = local_api().await;
    app.signed_in().await;
    let (status, body) = try_call(&app, "GET", &format!("{base}/pets/7"), "", "").await;
    assert_eq!(status, StatusCode::CONFLICT, "no document yet: {body}");
    app.services.import_document(document(&base).as_bytes(), "cli", &meta).await.unwrap();

    // Loopback is private: refused until the operator allows private networks.
    let (status, body) = try_call(&app, "GET", &format!("{base}/pets/7"), "X-Api-Key: kp_test_x", "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["Invalid"]["message"].as_str().unwrap().contains("private or special address"), "{body}");
    app.services.set_setting("docs.try_it_private_networks", "true", false, "cli", &meta).await.unwrap();

    let (status, body) = try_call(&app, "get", &format!("{base}/pets/9"), "X-Api-Key: kp_test_x", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["status"].as_u64(), body["reason"].as_str()), (Some(200), Some("OK")));
    assert!(body["headers"].as_array().unwrap().iter().any(|h| h[0] == "x-served-by" && h[1] == "local"), "{body}");
    assert_eq!(serde_json::from_str::<Value>(body["body"].as_str().unwrap()).unwrap()["id"], 9);
    let (_, body) = try_call(&app, "GET", &format!("{base}/pets/9"), "", "").await;
    assert_eq!(body["status"], 401, "the API's own refusal comes back as it is");
    let (_, body) = try_call(&app, "POST", &format!("{base}/pets"), "X-Api-Key: kp_test_x\nContent-Type: application/json", r#"{"name": "Tom"}"#).await;
    assert_eq!(body["status"], 201, "{body}");

    // Never followed: a redirect is shown as the answer it is.
    let (_, body) = try_call(&app, "GET", &format!("{base}/moved"), "", "").await;
    assert_eq!(body["status"], 302);
    assert!(body["headers"].as_array().unwrap().iter().any(|h| h[0] == "location"));
    // A huge answer is cut.
    let (_, body) = try_call(&app, "GET", &format!("{base}/big"), "", "").await;
    assert_eq!((body["truncated"].as_bool(), body["body"].as_str().unwrap().len()), (Some(true), 256 * 1024));

    // Anything but the document's servers, bad methods and smuggled headers: refused, unsent.
    for (method, url, headers, field) in [
        ("GET", "http://127.0.0.1:1/v1/pets/7".to_owned(), "", "url"),
        ("GET", format!("{base}x/pets"), "", "url"),
        ("GET", "http://169.254.169.254/latest/meta-data/".to_owned(), "", "url"),
        ("GET", format!("{}@evil.example/", base.trim_end_matches("/v1")), "", "url"),
        ("TRACE", format!("{base}/pets/7"), "", "method"),
        ("GET", format!("{base}/pets/7"), "Host: evil.example", "headers"),
        ("GET", format!("{base}/pets/7"), "Bad Name: x", "headers"),
    ] {
        let (status, body) = try_call(&app, method, &url, headers, "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {url} {headers:?}: {body}");
        assert_eq!(body["Invalid"]["field"], field, "{method} {url}: {body}");
    }
    let (status, _) = try_call(&app, "POST", &format!("{base}/pets"), "", &"x".repeat(256 * 1024 + 1)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a body over 256 KB");

    // Switched off: nothing is sent. Signed out: refused.
    app.services.set_setting("docs.try_it", "off", false, "cli", &meta).await.unwrap();
    assert_eq!(try_call(&app, "GET", &format!("{base}/pets/7"), "", "").await.0, StatusCode::CONFLICT);
    app.services.set_setting("docs.try_it", "relay", false, "cli", &meta).await.unwrap();
    app.set_session_cookie(None);
    assert_eq!(try_call(&app, "GET", &format!("{base}/pets/7"), "", "").await.0, StatusCode::UNAUTHORIZED);
}
