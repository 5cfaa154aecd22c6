//! The API document lives in the database: every node serves the version in effect, imports
//! and rollbacks are audited as the provider's, and a refused import changes nothing.

use crate::helpers::spawn_app;
use keyport_core::entity::{api_document, audit_event};
use keyport_core::services::audit::RequestMeta;
use keyport_core::CoreError;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

const PETS: &str = "openapi: 3.1.0\ninfo: {title: Pets, version: '1.0'}\npaths:\n  /pets:\n    get:\n      operationId: listPets\n      responses: {'200': {description: ok}}\n";
const PETS_V2: &str = "{\"openapi\": \"3.0.3\", \"info\": {\"title\": \"Pets\", \"version\": \"2.0\"}, \"paths\": {\"/pets\": {\"get\": {\"responses\": {\"200\": {\"description\": \"ok\"}}}, \"post\": {\"responses\": {\"201\": {\"description\": \"made\"}}}}}}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_serves_the_version_in_effect_and_imports_are_audited() {
    let app = spawn_app().await;
    let meta = RequestMeta::default();
    assert!(app.services.active_document().await.unwrap().is_none());
    let v1 = app.services.import_document(PETS.as_bytes(), "cli", &meta).await.unwrap();
    assert_eq!((v1.version, v1.operations, v1.format.as_str(), v1.openapi.as_str()), (1, 1, "yaml", "3.1.0"));
    let v2 = app.services.import_document(PETS_V2.as_bytes(), "cli", &meta).await.unwrap();
    assert_eq!((v2.version, v2.operations, v2.format.as_str()), (2, 2, "json"));

    let other = app.second_node().await;
    let (active, json) = other.services.active_document().await.unwrap().expect("a document");
    assert_eq!((active.version, active.api_version.as_str()), (2, "2.0"));
    assert!(json["paths"]["/pets"]["post"].is_object());

    // A refused document: a field error naming where and why; the table is as it was.
    let before = api_document::Entity::find().count(&app.services.db).await.unwrap();
    let bad = app.services.import_document(b"openapi: 3.1.0\ninfo: {title: X, version: '1'}\npaths:\n  /a: {get: {responses: {$ref: '#/nowhere'}}}\n", "cli", &meta).await;
    match bad {
        Err(CoreError::Invalid(f)) => assert_eq!((f.field.as_str(), f.message.as_str()), ("document", "at /paths/~1a/get/responses/$ref: \"#/nowhere\" points at nothing in this document")),
        other => panic!("{other:?}"),
    }
    assert_eq!(api_document::Entity::find().count(&app.services.db).await.unwrap(), before);
    assert_eq!(other.services.active_document().await.unwrap().unwrap().0.version, 2);

    // Rolled back on one node, in effect on the other.
    app.services.rollback_document(None, "cli", &meta).await.unwrap();
    assert_eq!(other.services.active_document().await.unwrap().unwrap().0.version, 1);
    let audited = audit_event::Entity::find().filter(audit_event::Column::Action.is_in(["docs.imported", "docs.rolled_back"])).all(&app.services.db).await.unwrap();
    assert_eq!(audited.len(), 3);
    assert!(audited.iter().all(|a| a.by_provider && a.team_id.is_none()), "{audited:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_imports_rolls_back_and_lists_for_operator_admins_only() {
    use reqwest::StatusCode;
    let app = spawn_app().await;
    let meta = RequestMeta::default();
    let admin = app.new_user().await;
    let customer = app.new_user().await;
    let import = |cookie: String, document: String| {
        let (client, url) = (app.client().clone(), format!("{}/api/admin/docs/import", app.base));
        async move {
            client.post(url).header("sec-fetch-site", "same-origin").header("cookie", format!("__Host-keyport_session={cookie}"))
                .json(&serde_json::json!({ "document": document })).send().await.unwrap()
        }
    };
    // Not an operator admin: not found, nothing imported.
    assert_eq!(import(customer.cookie.clone(), PETS.into()).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(api_document::Entity::find().count(&app.services.db).await.unwrap(), 0);
    app.services.set_site_admin("cli", &admin.email, true, &meta).await.unwrap();

    let res = import(admin.cookie.clone(), PETS.into()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!((v["version"].as_i64(), v["operations"].as_i64(), v["created_by"].as_str()), (Some(1), Some(1), Some(admin.email.as_str())));
    assert_eq!(import(admin.cookie.clone(), PETS_V2.into()).await.status(), StatusCode::OK);
    // Refused: where and why; the same one again: nothing to do.
    let bad = import(admin.cookie.clone(), "openapi: 3.1.0\ninfo: {title: X, version: '1'}\npaths:\n  /a: {get: {responses: {$ref: '#/nowhere'}}}\n".into()).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert!(body["Invalid"]["message"].as_str().unwrap().contains("points at nothing"), "{body}");
    assert_eq!(import(admin.cookie.clone(), PETS_V2.into()).await.status(), StatusCode::CONFLICT);
    assert_eq!(api_document::Entity::find().count(&app.services.db).await.unwrap(), 2, "refusals add nothing");

    app.act_as(&admin);
    app.services.save_doc_page("Webhooks", "Signed events.", None, "cli", &meta).await.unwrap();
    let page = app.page("/admin/docs").await.text().await.unwrap();
    assert!(page.contains("v2") && page.contains("In effect") && page.contains("Put version 1 back in effect"), "the versions");
    assert!(page.contains("#guide-webhooks"), "the guides");
    assert_eq!(app.call("admin/docs/rollback", &[("to", "1")]).await.status(), StatusCode::OK);
    assert_eq!(app.services.active_document().await.unwrap().unwrap().0.version, 1);
    assert_eq!(app.call("admin/docs/rollback", &[("to", "9")]).await.status(), StatusCode::BAD_REQUEST, "no such version");
    assert_eq!(app.call("admin/docs/guides/remove", &[("slug", "webhooks")]).await.status(), StatusCode::OK);
    assert!(app.services.doc_pages().await.unwrap().is_empty());
    assert_eq!(app.call("admin/docs/guides/remove", &[("slug", "webhooks")]).await.status(), StatusCode::NOT_FOUND);
    let audited = audit_event::Entity::find().filter(audit_event::Column::ActorEmail.eq(admin.email.as_str())).all(&app.services.db).await.unwrap();
    assert!(audited.iter().filter(|a| a.action.starts_with("docs.")).count() >= 4, "imports, the rollback and the removal, as the admin");
}
