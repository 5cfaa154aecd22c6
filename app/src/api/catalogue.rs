//! Server functions of the API catalogue.

#[allow(unused_imports)]
use super::*;
use keyport_core::dto::billing::CatalogueView;

/// The products the active team may see, and where it stands with each.
#[server(endpoint = "catalogue/list")]
pub async fn get_catalogue() -> Result<CatalogueView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.catalogue(&caller).await?)
}

/// Asks for a product offered on request, saying what it is for.
#[server(endpoint = "catalogue/request")]
pub async fn request_product(product: String, reason: String) -> Result<(), AppError> {
    let caller = ssr::require_caller().await?;
    ssr::services()?.request_product(&caller, &product, &reason, &ssr::request_meta()).await.inspect_err(|_| {
        ssr::remember_form("catalogue/request", &[("product", product.as_str()), ("reason", reason.as_str())]);
    })?;
    ssr::forget_form();
    ssr::redirect("/portal/catalogue?requested=1");
    Ok(())
}
