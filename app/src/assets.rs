//! The names the built assets are served under. A release build by cargo-leptos names them
//! with a content hash (`keyport.<hash>.css`) and writes the hashes to `hash.txt` beside the
//! server binary; Leptos reads that file for the script and WASM names, and the stylesheet's
//! name comes from it here.

use leptos::config::LeptosOptions;

/// The contents of the hash file beside the running binary, if cargo-leptos wrote one.
#[cfg(feature = "ssr")]
pub fn hash_file() -> Option<&'static str> {
    static HASHES: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    HASHES
        .get_or_init(|| {
            let name = std::env::var("LEPTOS_HASH_FILE_NAME").unwrap_or_else(|_| "hash.txt".into());
            let path = std::env::current_exe().ok()?.parent()?.join(name);
            std::fs::read_to_string(path).ok()
        })
        .as_deref()
}

/// The hash of the built file with extension `ext` (`css`, `js`, `wasm`), from the hash file.
#[cfg(feature = "ssr")]
fn hash_of(ext: &str) -> Option<&'static str> {
    hash_file()?.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == ext).then(|| v.trim())
    })
}

/// `href` of the portal's stylesheet: hashed when the build hashed its files.
pub fn stylesheet_href(options: &LeptosOptions) -> String {
    #[cfg(feature = "ssr")]
    if options.hash_files {
        if let Some(h) = hash_of("css") {
            return format!("/{}/{}.{h}.css", options.site_pkg_dir, options.output_name);
        }
    }
    format!("/{}/{}.css", options.site_pkg_dir, options.output_name)
}

/// Whether a file name carries a cargo-leptos content hash (`name.<22 base64url>.ext`), so
/// it can be cached for ever: a new build gets a new name.
pub fn is_hashed(file_name: &str) -> bool {
    let parts: Vec<&str> = file_name.split('.').collect();
    parts.len() >= 3 && parts[1..parts.len() - 1].iter().any(|p| p.len() == 22 && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn hashed_names_are_told_apart() {
        assert!(is_hashed("keyport.Vn2_Zz-x0aBcDeFgHiJkLm.wasm"));
        assert!(is_hashed("keyport.Vn2_Zz-x0aBcDeFgHiJkLm.wasm.br"));
        assert!(!is_hashed("keyport.wasm"));
        assert!(!is_hashed("keyport_bg.wasm"));
        assert!(!is_hashed("favicon.svg"));
    }
}
