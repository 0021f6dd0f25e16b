//! Checkouts cut off by a crash: the placing task is stopped dead at every step
//! (it panics inside its own task, so no clean-up code runs, as when the process
//! is killed), then a retry or the recovery pass must leave exactly one order with
//! its stock reserved, or no order and every unit back. Never a stuck checkout.

use std::time::{Duration, Instant};

use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use oxcart::orders::service::{self, Step};
use oxcart::orders::types::AddressForm;
use serde_json::Value;

use crate::catalog::make_product;
use crate::helpers::{Browser, TestApp};
use crate::orders::{checkout_key, place, stock_of};

const MUG_STOCK: i64 = 10;
const PLATE_STOCK: i64 = 7;

/// A shopper with 2 mugs and 3 plates in the cart, on the checkout page.
struct Checkout {
    app: TestApp,
    shopper: Browser,
    email: String,
    mug: String,
    plate: String,
    key: String,
}

async fn checkout() -> Checkout {
    let app = crate::helpers::spawn_app().await;
    let mug = make_product(&app, "Crash Mug", 1200, MUG_STOCK).await;
    let plate = make_product(&app, "Crash Plate", 900, PLATE_STOCK).await;
    let (shopper, email) = app.customer().await;
    shopper
        .call_ok::<Value>("cart/add", &[("product_id", &mug), ("quantity", "2")])
        .await;
    shopper
        .call_ok::<Value>("cart/add", &[("product_id", &plate), ("quantity", "3")])
        .await;
    let key = checkout_key(&shopper).await;
    Checkout {
        app,
        shopper,
        email,
        mug,
        plate,
        key,
    }
}

fn address() -> AddressForm {
    AddressForm {
        name: "Robin Reed".into(),
        line1: "12 Orchard Lane".into(),
        line2: None,
        city: Some("Springfield".into()),
        region: Some("CA".into()),
        postal_code: Some("12345".into()),
        country: "US".into(),
    }
}

impl Checkout {
    /// Starts the placement in its own task and kills it dead at `step`.
    async fn crash_at(&self, step: Step) {
        let core = self.app.state.core.clone();
        let user = oxcart::accounts::store::find_by_email(
            &core.db,
            &oxcart::accounts::types::Email::parse(&self.email).unwrap(),
        )
        .await
        .unwrap()
        .unwrap()
        .caller();
        let key = self.key.clone();
        let task = tokio::spawn(async move {
            service::place_order_observed(
                &core,
                &service::Buyer::account(&user),
                address().validate().unwrap(),
                &service::CheckoutChoice::default(),
                &key,
                &move |s| {
                    if s == step {
                        panic!("simulated crash at {s:?}");
                    }
                },
            )
            .await
        });
        assert!(
            task.await.is_err(),
            "the placement should have died at {step:?}"
        );
    }

    /// Time passes: the dead holder's lease lapses.
    async fn lapse_leases(&self) {
        self.app
            .state
            .core
            .db
            .collection::<Document>("checkout_claims")
            .update_many(
                doc! { "done": false },
                doc! { "$set": { "lease_until": DateTime::from_millis(DateTime::now().timestamp_millis() - 1000) } },
            )
            .await
            .unwrap();
    }

    async fn orders(&self) -> Vec<Document> {
        use futures::TryStreamExt;
        self.app
            .state
            .core
            .db
            .collection::<Document>("orders")
            .find(doc! {})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    }

    /// The units held in reservations on a product, by order.
    async fn reserved(&self, product: &str) -> Vec<(ObjectId, i64)> {
        let p = self
            .app
            .state
            .core
            .db
            .collection::<Document>("products")
            .find_one(doc! { "_id": ObjectId::parse_str(product).unwrap() })
            .await
            .unwrap()
            .unwrap();
        p.get_array("reservations")
            .unwrap()
            .iter()
            .map(|r| {
                let r = r.as_document().unwrap();
                (
                    r.get_object_id("order_id").unwrap(),
                    r.get_i64("qty").unwrap(),
                )
            })
            .collect()
    }

    /// Exactly one order, with exactly its units reserved and taken from stock.
    async fn assert_one_order(&self, label: &str) -> ObjectId {
        let orders = self.orders().await;
        assert_eq!(orders.len(), 1, "{label}: one order");
        let id = orders[0].get_object_id("_id").unwrap();
        assert_eq!(
            stock_of(&self.app, &self.mug).await,
            MUG_STOCK - 2,
            "{label}"
        );
        assert_eq!(
            stock_of(&self.app, &self.plate).await,
            PLATE_STOCK - 3,
            "{label}"
        );
        assert_eq!(self.reserved(&self.mug).await, vec![(id, 2)], "{label}");
        assert_eq!(self.reserved(&self.plate).await, vec![(id, 3)], "{label}");
        id
    }

    /// No order, and every unit back on the shelf.
    async fn assert_nothing_held(&self, label: &str) {
        assert!(self.orders().await.is_empty(), "{label}: no order");
        assert_eq!(stock_of(&self.app, &self.mug).await, MUG_STOCK, "{label}");
        assert_eq!(
            stock_of(&self.app, &self.plate).await,
            PLATE_STOCK,
            "{label}"
        );
        assert!(self.reserved(&self.mug).await.is_empty(), "{label}");
        assert!(self.reserved(&self.plate).await.is_empty(), "{label}");
    }
}

const STEPS: [Step; 5] = [
    Step::Claimed,
    Step::Reserved(0),
    Step::Reserved(1),
    Step::OrderWritten,
    Step::ClaimDone,
];

#[tokio::test]
async fn pressing_again_after_a_crash_at_any_step_completes_the_one_order() {
    for step in STEPS {
        let c = checkout().await;
        c.crash_at(step).await;
        c.lapse_leases().await;
        let res = place(&c.shopper, &c.key, &[]).await;
        let status = res.status();
        let text = res.text().await.unwrap();
        assert_eq!(status, 200, "{step:?}: {text}");
        let id: String = serde_json::from_str(&text).unwrap();
        let order = c.assert_one_order(&format!("{step:?}")).await;
        assert_eq!(order.to_hex(), id, "{step:?}: the retry returns that order");
        // Pressing yet again changes nothing; the cart was emptied.
        let again = place(&c.shopper, &c.key, &[]).await;
        assert_eq!(again.status(), 200, "{step:?}");
        c.assert_one_order(&format!("{step:?}, pressed again"))
            .await;
        let cart: oxcart::cart::types::CartView = c.shopper.call_ok("cart/get", &[]).await;
        assert!(cart.is_empty(), "{step:?}: the cart is emptied");
    }
}

#[tokio::test]
async fn the_recovery_pass_leaves_the_order_with_its_stock_or_neither() {
    for step in STEPS {
        let c = checkout().await;
        c.crash_at(step).await;
        c.lapse_leases().await;
        // Every instance runs the recovery pass; run three at once.
        let core = &c.app.state.core;
        let (a, b, d) = tokio::join!(
            service::recover_checkouts(core),
            service::recover_checkouts(core),
            service::recover_checkouts(core)
        );
        let resolved = a.unwrap() + b.unwrap() + d.unwrap();
        let label = format!("{step:?}");
        match step {
            Step::OrderWritten => {
                assert_eq!(resolved, 1, "{label}: resolved once");
                c.assert_one_order(&label).await;
            }
            // Done already: nothing left to recover.
            Step::ClaimDone => {
                assert_eq!(resolved, 0, "{label}");
                c.assert_one_order(&label).await;
            }
            _ => {
                assert_eq!(resolved, 1, "{label}: resolved once");
                c.assert_nothing_held(&label).await;
                // The checkout is free again: placing it now works.
                let res = place(&c.shopper, &c.key, &[]).await;
                assert_eq!(res.status(), 200, "{label}");
                c.assert_one_order(&label).await;
            }
        }
    }
}

#[tokio::test]
async fn pressing_again_while_the_lease_runs_answers_within_two_seconds() {
    let c = checkout().await;
    c.crash_at(Step::Reserved(0)).await;
    let started = Instant::now();
    let res = place(&c.shopper, &c.key, &[]).await;
    let took = started.elapsed();
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("still being placed"), "{message}");
    assert!(
        took < Duration::from_millis(2500),
        "answered after {took:?}"
    );
    // Once the lease lapses, pressing again completes it.
    c.lapse_leases().await;
    assert_eq!(place(&c.shopper, &c.key, &[]).await.status(), 200);
    c.assert_one_order("after the lease").await;
}

#[tokio::test]
async fn the_sweeper_recovers_an_abandoned_checkout_by_itself() {
    let c = checkout().await;
    c.crash_at(Step::Reserved(1)).await;
    c.lapse_leases().await;
    oxcart::orders::service::sweep(&c.app.state.core, &c.app.state.payments)
        .await
        .unwrap();
    c.assert_nothing_held("after the sweep").await;
}
