//! What an order costs: shipping rates, tax and discounts applied to a subtotal, in
//! one pure function ([`totals`]) that checkout, the order and the payment provider
//! all use, so the amount shown, stored and charged is the same to the cent.
//!
//! Rounding is decided once, per order: the discount, the shipping rate and the tax
//! are each computed on the order's amounts and rounded to the minor unit half up
//! (amounts are never negative), not line by line.
//!
//! - Percentage discounts apply to the subtotal; fixed ones never exceed it; a
//!   free-shipping code makes the shipping 0.
//! - "Free above" thresholds compare the subtotal after the discount.
//! - Tax is charged on the goods after the discount plus the shipping, at the rate of
//!   the delivery address. With prices entered including tax (EU style) the tax is
//!   the part of that amount the rate makes up and the total does not change; without
//!   (US style) it is added on top.

use serde::{Deserialize, Serialize};

/// Basis points per whole: 2000 bp = 20 %.
pub const BP: i64 = 10_000;

/// How a shipping method is priced (amounts in minor units).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rate {
    /// The same price for every order.
    Flat { price: i64 },
    /// `price`, or nothing once the subtotal (after discount) reaches `free_from`.
    FreeAbove { price: i64, free_from: i64 },
    /// By the parcel's weight: the first tier whose limit the weight does not exceed;
    /// heavier than the last tier, the method is not offered.
    Weight { tiers: Vec<WeightTier> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightTier {
    pub up_to_grams: i64,
    pub price: i64,
}

impl Rate {
    /// The price for a parcel of `weight_grams` worth `goods` (after discount), or
    /// `None` when this method does not take it.
    pub fn price(&self, goods: i64, weight_grams: i64) -> Option<i64> {
        match self {
            Rate::Flat { price } => Some(*price),
            Rate::FreeAbove { price, free_from } => {
                Some(if goods >= *free_from { 0 } else { *price })
            }
            Rate::Weight { tiers } => tiers
                .iter()
                .filter(|t| weight_grams <= t.up_to_grams)
                .min_by_key(|t| t.up_to_grams)
                .map(|t| t.price),
        }
    }
}

/// What a discount code takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Discount {
    /// A share of the subtotal, in basis points (1000 = 10 %).
    Percent { basis_points: i64 },
    /// A fixed amount off the subtotal (never more than the subtotal).
    Fixed { amount: i64 },
    /// No shipping charge.
    FreeShipping,
}

/// Everything that decides an order's total besides its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Inputs {
    /// Sum of the lines.
    pub subtotal: i64,
    /// Shipping before any free-shipping code (the chosen method's price).
    pub shipping: i64,
    pub discount: Option<Discount>,
    /// Tax rate of the delivery address in basis points (0: none).
    pub tax_bp: i64,
    /// Whether the prices (and shipping) already include tax.
    pub tax_included: bool,
}

/// An order's amounts (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Totals {
    pub subtotal: i64,
    /// Taken off the goods (0 for a free-shipping code).
    pub discount: i64,
    /// Charged for shipping (0 with a free-shipping code).
    pub shipping: i64,
    /// Tax: part of the total when included, added to it otherwise.
    pub tax: i64,
    pub tax_included: bool,
    pub total: i64,
}

/// `value × num / den`, rounded half up; `None` on overflow. All inputs ≥ 0.
pub fn mul_div_round(value: i64, num: i64, den: i64) -> Option<i64> {
    if den <= 0 || value < 0 || num < 0 {
        return None;
    }
    let v = i128::from(value) * i128::from(num);
    let q = (v + i128::from(den) / 2) / i128::from(den);
    i64::try_from(q).ok()
}

/// The discount a code gives on `subtotal` (goods only).
pub fn discount_amount(d: Discount, subtotal: i64) -> i64 {
    match d {
        Discount::Percent { basis_points } => {
            mul_div_round(subtotal, basis_points.clamp(0, BP), BP)
                .unwrap_or(0)
                .min(subtotal)
        }
        Discount::Fixed { amount } => amount.clamp(0, subtotal),
        Discount::FreeShipping => 0,
    }
}

/// The order's totals. `None` only when an amount would overflow (or an input is
/// negative): callers refuse such an order.
pub fn totals(i: Inputs) -> Option<Totals> {
    if i.subtotal < 0 || i.shipping < 0 || !(0..=BP).contains(&i.tax_bp) {
        return None;
    }
    let discount = i
        .discount
        .map(|d| discount_amount(d, i.subtotal))
        .unwrap_or(0);
    let shipping = if i.discount == Some(Discount::FreeShipping) {
        0
    } else {
        i.shipping
    };
    let base = (i.subtotal - discount).checked_add(shipping)?;
    let (tax, total) = if i.tax_included {
        let net = mul_div_round(base, BP, BP + i.tax_bp)?;
        (base - net, base)
    } else {
        let tax = mul_div_round(base, i.tax_bp, BP)?;
        (tax, base.checked_add(tax)?)
    };
    Some(Totals {
        subtotal: i.subtotal,
        discount,
        shipping,
        tax,
        tax_included: i.tax_included,
        total,
    })
}

/// One line of what the payment provider is asked to charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeLine {
    pub name: String,
    pub unit_amount: i64,
    pub quantity: u64,
}

/// What the payment provider is asked to charge: the goods with the discount
/// spread over them (each line's share in proportion to its amount, the last cents
/// to the largest remainders, and a line split in two where its discounted amount
/// does not divide by its quantity), then shipping and (when not included) tax as
/// lines of their own. The lines add up to the order total exactly.
///
/// Why not a Stripe coupon: one per order would fill the shop's Stripe account
/// with throw-away coupons, and mirroring the shop's codes as Stripe promotion codes
/// would keep the rules in two places. `discount_note` names the code on the lines.
pub fn charge(
    lines: &[ChargeLine],
    t: &Totals,
    shipping_name: &str,
    tax_name: &str,
    discount_note: &str,
) -> Vec<ChargeLine> {
    let amounts: Vec<i64> = lines
        .iter()
        .map(|l| l.unit_amount * l.quantity as i64)
        .collect();
    let shares = spread(t.discount, &amounts);
    let mut out = Vec::with_capacity(lines.len() + 2);
    for ((l, amount), share) in lines.iter().zip(&amounts).zip(&shares) {
        if *share == 0 {
            out.push(l.clone());
            continue;
        }
        let name = format!("{} ({discount_note})", l.name);
        let left = amount - share;
        let q = l.quantity as i64;
        let (unit, extra) = (left / q, left % q);
        if extra > 0 {
            out.push(ChargeLine {
                name: name.clone(),
                unit_amount: unit + 1,
                quantity: extra as u64,
            });
        }
        if q - extra > 0 {
            out.push(ChargeLine {
                name,
                unit_amount: unit,
                quantity: (q - extra) as u64,
            });
        }
    }
    if t.shipping > 0 {
        out.push(ChargeLine {
            name: format!("Shipping: {shipping_name}"),
            unit_amount: t.shipping,
            quantity: 1,
        });
    }
    if !t.tax_included && t.tax > 0 {
        out.push(ChargeLine {
            name: tax_name.to_string(),
            unit_amount: t.tax,
            quantity: 1,
        });
    }
    out
}

/// `total` split over `amounts` in proportion (largest remainders get the last
/// units); no share exceeds its amount. `total` must not exceed their sum.
pub fn spread(total: i64, amounts: &[i64]) -> Vec<i64> {
    let sum: i64 = amounts.iter().sum();
    if total <= 0 || sum <= 0 {
        return vec![0; amounts.len()];
    }
    let total = total.min(sum);
    let mut shares: Vec<i64> = Vec::with_capacity(amounts.len());
    let mut rest: Vec<(i128, usize)> = Vec::with_capacity(amounts.len());
    for (i, a) in amounts.iter().enumerate() {
        let exact = i128::from(total) * i128::from(*a);
        shares.push((exact / i128::from(sum)) as i64);
        rest.push((exact % i128::from(sum), i));
    }
    let mut missing = total - shares.iter().sum::<i64>();
    rest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in rest.iter().cycle() {
        if missing == 0 {
            break;
        }
        if shares[*i] < amounts[*i] {
            shares[*i] += 1;
            missing -= 1;
        }
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn us_style_tax_is_added_on_goods_after_discount_plus_shipping() {
        let t = totals(Inputs {
            subtotal: 10_000,
            shipping: 599,
            discount: Some(Discount::Percent {
                basis_points: 1_000,
            }),
            tax_bp: 875, // 8.75 %
            tax_included: false,
        })
        .unwrap();
        assert_eq!(t.discount, 1_000);
        // (9000 + 599) × 8.75 % = 839.9125 → 840
        assert_eq!(t.tax, 840);
        assert_eq!(t.total, 9_000 + 599 + 840);
    }

    #[test]
    fn eu_style_tax_is_the_part_of_the_price_the_rate_makes_up() {
        let t = totals(Inputs {
            subtotal: 1_999,
            shipping: 0,
            discount: None,
            tax_bp: 2_000,
            tax_included: true,
        })
        .unwrap();
        // 19.99 incl. 20 %: net 16.658… → 16.66, tax 3.33
        assert_eq!(t.tax, 333);
        assert_eq!(t.total, 1_999);
    }

    #[test]
    fn awkward_amounts_round_half_up_once_per_order() {
        // Three lines of 0.33 at 7 %: per line 0.0231 → 0.02 each (0.06), per order 0.0693 → 0.07.
        let t = totals(Inputs {
            subtotal: 99,
            tax_bp: 700,
            ..Inputs::default()
        })
        .unwrap();
        assert_eq!(t.tax, 7);
        // Exactly half a cent rounds up: 0.50 × 1 % = 0.005 → 0.01.
        let t = totals(Inputs {
            subtotal: 50,
            tax_bp: 100,
            ..Inputs::default()
        })
        .unwrap();
        assert_eq!(t.tax, 1);
        // 33.33 % off 1.00 = 0.3333 → 0.33.
        assert_eq!(
            discount_amount(
                Discount::Percent {
                    basis_points: 3_333
                },
                100
            ),
            33
        );
    }

    #[test]
    fn a_fixed_discount_never_makes_the_goods_negative_and_free_shipping_drops_the_rate() {
        let t = totals(Inputs {
            subtotal: 500,
            shipping: 499,
            discount: Some(Discount::Fixed { amount: 2_000 }),
            ..Inputs::default()
        })
        .unwrap();
        assert_eq!((t.discount, t.total), (500, 499));
        let t = totals(Inputs {
            subtotal: 500,
            shipping: 499,
            discount: Some(Discount::FreeShipping),
            ..Inputs::default()
        })
        .unwrap();
        assert_eq!((t.discount, t.shipping, t.total), (0, 0, 500));
    }

    #[test]
    fn rates_by_weight_take_the_first_tier_that_fits_and_refuse_heavier_parcels() {
        let r = Rate::Weight {
            tiers: vec![
                WeightTier {
                    up_to_grams: 5_000,
                    price: 990,
                },
                WeightTier {
                    up_to_grams: 1_000,
                    price: 490,
                },
            ],
        };
        assert_eq!(r.price(0, 1_000), Some(490));
        assert_eq!(r.price(0, 1_001), Some(990));
        assert_eq!(r.price(0, 5_001), None);
        let f = Rate::FreeAbove {
            price: 599,
            free_from: 7_500,
        };
        assert_eq!(f.price(7_499, 0), Some(599));
        assert_eq!(f.price(7_500, 0), Some(0));
    }

    fn discount() -> impl Strategy<Value = Option<Discount>> {
        prop_oneof![
            Just(None),
            (0i64..=BP).prop_map(|basis_points| Some(Discount::Percent { basis_points })),
            (0i64..1_000_000).prop_map(|amount| Some(Discount::Fixed { amount })),
            Just(Some(Discount::FreeShipping)),
        ]
    }

    proptest! {
        #[test]
        fn totals_add_up_are_never_negative_and_equal_what_is_charged(
            prices in prop::collection::vec((1i64..500_000, 1u64..20), 1..8),
            shipping in 0i64..50_000,
            d in discount(),
            tax_bp in 0i64..=3_000,
            tax_included in any::<bool>(),
        ) {
            let lines: Vec<ChargeLine> = prices
                .iter()
                .map(|(p, q)| ChargeLine { name: "x".into(), unit_amount: *p, quantity: *q })
                .collect();
            let subtotal: i64 = lines.iter().map(|l| l.unit_amount * l.quantity as i64).sum();
            let t = totals(Inputs { subtotal, shipping, discount: d, tax_bp, tax_included }).unwrap();
            prop_assert!(t.total >= 0);
            prop_assert!(t.discount >= 0 && t.discount <= t.subtotal);
            prop_assert!(t.tax >= 0);
            let added_tax = if t.tax_included { 0 } else { t.tax };
            prop_assert_eq!(t.total, t.subtotal - t.discount + t.shipping + added_tax);
            if t.tax_included {
                prop_assert!(t.tax <= t.total);
            }
            let charged = charge(&lines, &t, "Standard", "Tax", "SAVE");
            prop_assert!(charged.iter().all(|l| l.unit_amount >= 0 && l.quantity > 0));
            let sum: i64 = charged.iter().map(|l| l.unit_amount * l.quantity as i64).sum();
            prop_assert_eq!(sum, t.total);
        }
    }
}
