//! Invoices, with the injectable clock: a month with an upgrade on day 10 and a downgrade
//! scheduled on day 20 comes out as exactly its lines (base, proration, overage per 1,000,
//! tax per line); the next month is priced by the plan it was moved to; numbers come from
//! one gapless sequence even when two nodes finalize at once; the PDF's text (pdftotext)
//! shows the number, the lines and the total; voiding and reissuing keeps everything.

use crate::helpers::{logged_to, spawn_app, TestApp};
use chrono::{Datelike, Duration, TimeZone, Utc};
use keyport_core::dto::billing::{format_money, tax_of, InvoiceStatus, InvoiceView};
use keyport_core::services::audit::RequestMeta;
use keyport_core::services::billing::invoices::Reissue;
use keyport_core::services::plans::PlanChanges;
use keyport_core::services::quota::next_month;
use reqwest::StatusCode;
use serde_json::Value;

fn plan(name: &str, price: &str, included: &str, overage: Option<&str>) -> PlanChanges {
    PlanChanges {
        name: Some(name.into()),
        price: Some(price.into()),
        included: Some(included.into()),
        overage: overage.map(Into::into),
        features: Some("live_keys request_log usage_export".into()),
        ..Default::default()
    }
}

/// Moves the test clock to `t`.
fn go_to(app: &TestApp, t: chrono::DateTime<Utc>) {
    let now = app.services.now();
    assert!(t >= now, "the clock only moves forward");
    app.clock.advance(t - now);
}

/// The text of a PDF, by Debian's pdftotext, with runs of white space made one space.
fn pdf_text(pdf: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("keyport-invoice-{}-{}.pdf", std::process::id(), Utc::now().timestamp_nanos_opt().unwrap_or(0)));
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext").arg(&path).arg("-").output().expect("pdftotext (poppler-utils) is installed by scripts/setup.sh --browser");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().split_whitespace().collect::<Vec<_>>().join(" ")
}

fn amounts(v: &InvoiceView) -> Vec<(&str, i64, i64)> {
    v.lines.iter().map(|l| (l.kind.as_str(), l.amount_minor, l.tax_minor)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_with_an_upgrade_on_day_ten_and_a_downgrade_on_day_twenty_is_invoiced_line_by_line() {
    let app = spawn_app().await;
    let meta = RequestMeta::default();
    app.services.set_setting("billing.tax_rate_bp", "2000", false, "cli", &meta).await.unwrap();
    app.services.set_setting("billing.issuer", "Acme APIs Ltd, 1 Main Street, London, VAT GB123", false, "cli", &meta).await.unwrap();
    app.services.create_plan("basic", &plan("Basic", "9", "5000", None), "test", &meta).await.unwrap();
    app.services.create_plan("pro", &plan("Pro", "49", "1000", Some("0.50")), "test", &meta).await.unwrap();
    let email = app.signed_in().await;
    let s: Value = app.call("session", &[]).await.json().await.unwrap();
    let team = s["team"]["id"].as_str().unwrap().to_owned();
    // On Basic before the month begins (the provider's move: nothing charged for it).
    app.services.assign_plan(&team, "basic", "test", &meta).await.unwrap();
    let start = next_month(app.services.now());
    let end = next_month(start);
    let day = |d: u32| Utc.with_ymd_and_hms(start.year(), start.month(), d, 0, 0, 0).unwrap();
    // The month before has nothing owed: no invoice, and no number spent.
    go_to(&app, start + Duration::minutes(3));
    assert!(app.services.close_billing_periods().await.unwrap().is_empty());

    // Day 10: up to Pro, at once, the rest of the month charged.
    go_to(&app, day(10));
    app.login(&email, crate::helpers::PASSWORD).await;
    let up: Value = app.call("billing/change", &[("plan", "pro")]).await.json().await.unwrap();
    let prorated = keyport_core::dto::billing::mul_div_round(4000, (end - day(10)).num_seconds(), (end - start).num_seconds());
    assert_eq!((up["applied"].as_bool(), up["charge_minor"].as_i64()), (Some(true), Some(prorated)));
    // 2,500 valid requests this month: 1,500 past Pro's 1,000, at USD 0.50 per 1,000.
    let res = app.call("keys/create", &[("name", "k"), ("environment", "live"), ("expiry", "never"), ("ratelimit", "1000")]).await;
    let k = res.json::<keyport_core::dto::CreatedKey>().await.unwrap().secret.expose().to_owned();
    let token = app.operator_token().await;
    for n in [1000, 1000, 500] {
        assert_eq!(app.burst(&token, &k, n).await, n);
        app.clock.advance(Duration::minutes(1));
    }
    app.services.flush_usage().await.unwrap();
    // Day 20: back down to Basic, from the month's end.
    go_to(&app, day(20));
    app.login(&email, crate::helpers::PASSWORD).await;
    let down: Value = app.call("billing/change", &[("plan", "basic")]).await.json().await.unwrap();
    assert_eq!(down["applied"].as_bool(), Some(false));

    // The month ends; two minutes on, the invoice is drafted and issued, and Basic applies.
    go_to(&app, end + Duration::seconds(30));
    assert!(app.services.close_billing_periods().await.unwrap().is_empty(), "it waits for the last minutes' usage");
    app.services.apply_scheduled_plan_changes().await.unwrap();
    go_to(&app, end + Duration::minutes(3));
    assert_eq!(app.services.close_billing_periods().await.unwrap(), vec![1]);
    assert!(app.services.close_billing_periods().await.unwrap().is_empty(), "closed once");
    let (inv, pdf) = app.services.invoice_by_number(1).await.unwrap();
    let month = keyport_core::dto::billing::period_label(&keyport_core::services::quota::period_of(start));
    let overage = 75; // 1,500 × 50 / 1,000
    assert_eq!(
        amounts(&inv),
        vec![("base", 900, 180), ("proration", prorated, tax_of(prorated, 2000)), ("overage", overage, 15)],
        "Basic's month, Pro's difference from the 10th, Pro's overage; tax per line"
    );
    assert_eq!(inv.lines[0].description, format!("Basic plan, {month}"));
    assert!(inv.lines[1].description.starts_with("Pro from 10 "), "{}", inv.lines[1].description);
    assert_eq!(inv.lines[2].description, "Overage: 1,500 requests past the 1,000 included in Pro, at USD 0.50 per 1,000");
    assert_eq!(inv.lines[2].quantity, 1500);
    assert_eq!(inv.subtotal_minor, 900 + prorated + overage);
    assert_eq!(inv.tax_minor, 180 + tax_of(prorated, 2000) + 15);
    assert_eq!(inv.total_minor, inv.subtotal_minor + inv.tax_minor);
    assert_eq!((inv.status, inv.number), (InvoiceStatus::Open, Some(1)));
    assert_eq!(inv.bill_to.email.as_deref(), Some(email.as_str()), "no billing email set: the owner");
    assert_eq!(inv.due_at, inv.issued_at.map(|t| t + Duration::days(14)));

    // The PDF, rendered once at finalization: its text has the number, the lines, the total.
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_text(&pdf);
    for needle in ["INVOICE", "INV-000001", "Acme APIs Ltd", "1 Main Street", &format!("Basic plan, {month}"), "Total", &format_money(inv.total_minor, "USD"),
        &format_money(prorated, "USD"), "USD 0.75", "USD 9.00", "20%", &email]
    {
        assert!(text.contains(needle), "the PDF shows {needle:?}:\n{text}");
    }
    // Emailed to the owner, audited in the team's trail.
    app.eventually("the invoice email is sent", || async { logged_to(&email).iter().any(|m| m.contains("Invoice INV-000001")) }).await;
    app.eventually("the plan change emails are sent", || async { logged_to(&email).iter().filter(|m| m.contains("Pro")).count() >= 2 }).await;

    // In the portal: the list, the page, the PDF download; members and viewers see none.
    app.login(&email, crate::helpers::PASSWORD).await;
    let list: Vec<InvoiceView> = app.call("billing/invoices", &[]).await.json().await.unwrap();
    assert_eq!(list.len(), 1);
    let page = app.page(&format!("/portal/billing/invoices/{}", inv.id)).await.text().await.unwrap();
    assert!(page.contains("INV-000001") && page.contains(&format!("Basic plan, {month}")) && page.contains(&format_money(inv.total_minor, "USD")), "{page}");
    let billing = app.page("/portal/billing").await.text().await.unwrap();
    assert!(billing.contains("Download INV-000001 as PDF"), "the history links the PDF");
    let res = app.client().get(format!("{}/portal/billing/invoices/{}/pdf", app.base, inv.id)).header("cookie", format!("__Host-keyport_session={}", app.session_cookie().unwrap())).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("INV-000001.pdf"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), pdf.as_slice(), "the stored PDF, not a new one");
    let viewer = app.new_user().await;
    app.add_member(&team, &viewer.id, "viewer").await;
    app.act_as(&viewer);
    app.switch_to(&team).await;
    assert_eq!(app.call("billing/invoices", &[]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.call("billing/view", &[]).await.status(), StatusCode::OK, "viewers see the plan");
    let other = app.new_user().await;
    app.act_as(&other);
    assert_eq!(app.call("billing/invoice", &[("id", inv.id.as_str())]).await.status(), StatusCode::NOT_FOUND, "another team's invoice is not found");

    // The next month is Basic's: its invoice is Basic's price alone, the next number.
    let after = next_month(end);
    go_to(&app, after + Duration::minutes(3));
    assert_eq!(app.services.close_billing_periods().await.unwrap(), vec![2]);
    let (next, _) = app.services.invoice_by_number(2).await.unwrap();
    assert_eq!(amounts(&next), vec![("base", 900, 180)]);

    // Paid, then a paid invoice cannot be voided or paid again.
    let paid = app.services.mark_invoice_paid(2, Some("transfer 4471"), "test", &meta).await.unwrap();
    assert_eq!(paid.status, InvoiceStatus::Paid);
    assert!(app.services.mark_invoice_paid(2, None, "test", &meta).await.is_err());
    assert!(app.services.void_invoice(2, "wrong", None, "test", &meta).await.is_err());

    // Void and reissue INV-000001 with a credit: the old one stays, void; the new one takes
    // the next number and says what it replaces.
    assert!(app.services.void_invoice(1, "", None, "test", &meta).await.is_err(), "a reason is needed");
    let over = inv.subtotal_minor + 1;
    let too_much = Reissue { credit: Some(format!("{}.{:02}", over / 100, over % 100)), credit_description: None };
    assert!(app.services.void_invoice(1, "goodwill", Some(too_much), "test", &meta).await.is_err(), "a credit above the subtotal is refused");
    assert_eq!(app.services.invoice_by_number(1).await.unwrap().0.status, InvoiceStatus::Open, "a refusal changed nothing");
    let credit = Reissue { credit: Some("5.00".into()), credit_description: Some("Goodwill for the outage on the 12th".into()) };
    let (old, new) = app.services.void_invoice(1, "goodwill credit", Some(credit), "test", &meta).await.unwrap();
    let new = new.expect("reissued");
    assert_eq!((old.status, old.replaced_by, old.void_reason.as_deref()), (InvoiceStatus::Void, Some(3), Some("goodwill credit")));
    assert_eq!((new.number, new.replaces, new.status), (Some(3), Some(1), InvoiceStatus::Open));
    let mut expected = amounts(&inv);
    expected.push(("credit", -500, -100));
    assert_eq!(amounts(&new), expected);
    assert_eq!(new.total_minor, inv.total_minor - 600);
    let (_, new_pdf) = app.services.invoice_by_number(3).await.unwrap();
    let text = pdf_text(&new_pdf);
    assert!(text.contains("INV-000003") && text.contains("replaces INV-000001") && text.contains("Goodwill for the outage"), "{text}");
    assert!(app.services.void_invoice(1, "again", None, "test", &meta).await.is_err(), "a void invoice stays void");
    let all = app.services.list_invoices(None, Some(&team)).await.unwrap();
    assert_eq!(all.len(), 3, "nothing is deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoice_numbers_stay_gapless_when_two_nodes_finalize_at_once() {
    let app = spawn_app().await;
    let meta = RequestMeta::default();
    app.services.create_plan("team", &plan("Team", "20", "1000", None), "test", &meta).await.unwrap();
    let mut teams = Vec::new();
    for _ in 0..12 {
        let u = app.new_user().await;
        app.services.assign_plan(&u.team_id, "team", "test", &meta).await.unwrap();
        teams.push(u.team_id);
    }
    // A whole month on the plan, then its drafts.
    let start = next_month(app.services.now());
    go_to(&app, next_month(start) + Duration::minutes(3));
    let drafts = app.services.draft_invoices(start, next_month(start)).await.unwrap();
    assert_eq!(drafts.len(), 12);
    assert!(app.services.draft_invoices(start, next_month(start)).await.unwrap().is_empty(), "one draft per team and month");
    let node = app.second_node().await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let svc = if i % 2 == 0 { app.services.clone() } else { node.services.clone() };
        tasks.push(tokio::spawn(async move { svc.finalize_drafts().await.unwrap() }));
    }
    let mut numbers: Vec<i64> = Vec::new();
    for t in tasks {
        numbers.extend(t.await.unwrap());
    }
    numbers.sort();
    assert_eq!(numbers, (1..=12).collect::<Vec<_>>(), "every number once, none skipped");
    let mut stored: Vec<i64> = app.services.list_invoices(Some(InvoiceStatus::Open), None).await.unwrap().iter().filter_map(|v| v.number).collect();
    stored.sort();
    assert_eq!(stored, (1..=12).collect::<Vec<_>>());
    assert!(app.services.list_invoices(Some(InvoiceStatus::Draft), None).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_billed_ahead_of_the_month_end_is_billed_once_for_the_month() {
    let app = spawn_app().await;
    let meta = RequestMeta::default();
    app.services.create_plan("pro", &plan("Pro", "49", "1000", None), "test", &meta).await.unwrap();
    app.signed_in().await;
    let s: Value = app.call("session", &[]).await.json().await.unwrap();
    let team = s["team"]["id"].as_str().unwrap().to_owned();
    assert!(app.services.issue_now(&team, "test").await.is_err(), "nothing owed yet: no invoice, no number");
    let up: Value = app.call("billing/change", &[("plan", "pro")]).await.json().await.unwrap();
    let charge = up["charge_minor"].as_i64().unwrap();
    assert_eq!(app.services.issue_now(&team, "test").await.unwrap(), 1, "the first number: the refusal spent none");
    let (v, _) = app.services.invoice_by_number(1).await.unwrap();
    assert_eq!(amounts(&v), vec![("proration", charge, 0)]);
    assert!(app.services.issue_now(&team, "test").await.is_err(), "once a month");
    go_to(&app, next_month(app.services.now()) + Duration::minutes(3));
    assert!(app.services.close_billing_periods().await.unwrap().is_empty(), "the month's close leaves the team alone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trial_charges_nothing_until_it_ends_then_the_rest_of_the_month_and_is_had_once() {
    let app = spawn_app().await;
    let meta = RequestMeta::default();
    let mut scale = plan("Scale", "30", "100000", None);
    scale.trial_days = Some("7".into());
    app.services.create_plan("scale", &scale, "test", &meta).await.unwrap();
    let email = app.signed_in().await;
    let s: Value = app.call("session", &[]).await.json().await.unwrap();
    let team = s["team"]["id"].as_str().unwrap().to_owned();
    let start = next_month(app.services.now());
    let end = next_month(start);
    go_to(&app, start + Duration::days(9));
    app.login(&email, crate::helpers::PASSWORD).await;
    let before: keyport_core::dto::billing::BillingView = app.call("billing/view", &[]).await.json().await.unwrap();
    let offer = before.choices.iter().find(|c| c.id == "scale").unwrap().clone();
    let said = before.change_terms(&offer);
    assert!(said.contains("7-day free trial") && said.contains("nothing is charged"), "{said}");
    let up: Value = app.call("billing/change", &[("plan", "scale")]).await.json().await.unwrap();
    assert_eq!((up["applied"].as_bool(), up["charge_minor"].as_i64()), (Some(true), Some(0)), "nothing now");
    let b: keyport_core::dto::billing::BillingView = app.call("billing/view", &[]).await.json().await.unwrap();
    let trial_end = start + Duration::days(16);
    assert_eq!(b.trial_ends_at, Some(trial_end));
    assert_eq!(b.trials_used, vec!["scale".to_owned()]);
    // The month: nothing for the trial's days, the rest of the month after it prorated.
    go_to(&app, end + Duration::minutes(3));
    assert_eq!(app.services.close_billing_periods().await.unwrap(), vec![1]);
    let (inv, _) = app.services.invoice_by_number(1).await.unwrap();
    let expected = keyport_core::dto::billing::proration(0, 3000, start, end, trial_end);
    assert_eq!(amounts(&inv), vec![("proration", expected, 0)]);
    assert!(inv.lines[0].description.contains("after the trial"), "{}", inv.lines[0].description);
    // The next month is Scale's full price.
    go_to(&app, next_month(end) + Duration::minutes(3));
    assert_eq!(app.services.close_billing_periods().await.unwrap(), vec![2]);
    assert_eq!(amounts(&app.services.invoice_by_number(2).await.unwrap().0), vec![("base", 3000, 0)]);
    // One trial per plan: back on Free (the provider's move), up again, charged at once.
    app.services.assign_plan(&team, "free", "test", &meta).await.unwrap();
    app.login(&email, crate::helpers::PASSWORD).await;
    let again: Value = app.call("billing/change", &[("plan", "scale")]).await.json().await.unwrap();
    assert!(again["charge_minor"].as_i64().unwrap() > 0, "no second trial");
}
