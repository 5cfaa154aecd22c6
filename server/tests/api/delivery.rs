//! How the built assets are delivered: precompressed by Accept-Encoding, cached for ever only
//! under hashed names, and pages never cached.

use crate::helpers::spawn_app_with;
use reqwest::StatusCode;

const HASHED: &str = "keyport.AbCdEfGhIjKlMnOpQrStUv.wasm";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pkg_files_answer_brotli_gzip_or_plain_and_only_hashed_names_are_immutable() {
    let site = std::env::temp_dir().join(format!("keyport-site-{}", keyport_core::crypto::random_base62(8)));
    let pkg = site.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join(HASHED), b"plain wasm bytes").unwrap();
    std::fs::write(pkg.join(format!("{HASHED}.br")), b"brotli bytes").unwrap();
    std::fs::write(pkg.join(format!("{HASHED}.gz")), b"gzip bytes").unwrap();
    std::fs::write(pkg.join("keyport.css"), b"body{}").unwrap();
    let root = site.to_string_lossy().into_owned();
    let app = spawn_app_with(move |s| s.site_root = root).await;
    let get = |path: String, encoding: Option<&'static str>| {
        let mut req = app.client().get(format!("{}{path}", app.base));
        if let Some(e) = encoding {
            req = req.header("accept-encoding", e);
        }
        req.send()
    };

    for (accept, encoding, body) in [(Some("br, gzip"), Some("br"), "brotli bytes"), (Some("gzip"), Some("gzip"), "gzip bytes"), (None, None, "plain wasm bytes")] {
        let res = get(format!("/pkg/{HASHED}"), accept).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let h = res.headers().clone();
        assert_eq!(h.get("content-encoding").map(|v| v.to_str().unwrap()), encoding, "{accept:?}");
        assert_eq!(h.get("cache-control").unwrap(), "public, max-age=31536000, immutable");
        assert!(h.get_all("vary").iter().any(|v| v.to_str().unwrap().to_lowercase().contains("accept-encoding")));
        assert_eq!(h.get("content-type").unwrap(), "application/wasm");
        assert_eq!(res.text().await.unwrap(), body);
    }

    let css = get("/pkg/keyport.css".into(), Some("br")).await.unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert_eq!(css.headers().get("content-encoding"), None, "no compressed file, plain bytes");
    assert_eq!(css.headers().get("cache-control").unwrap(), "public, max-age=300", "an unhashed name is not immutable");

    let missing = get("/pkg/keyport.ZZZZZZZZZZZZZZZZZZZZZZ.wasm".into(), None).await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.headers().get("cache-control").unwrap(), "no-store", "a miss is not cached for a year");

    for page in ["/portal/login", "/portal/register"] {
        let res = app.page(page).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers().get("cache-control").unwrap(), "no-store", "{page}");
    }
    let _ = std::fs::remove_dir_all(&site);
}
