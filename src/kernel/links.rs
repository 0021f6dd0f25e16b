//! Signed links: a token that is an HMAC-SHA256, under the shop's link key, of what
//! the link opens ("guest-order:<id>"). Nobody can make one without the key, and
//! changing any part of a link breaks it. Used for the order links mailed to guests.
//!
//! The key is made once, at random, and kept in MongoDB (`shop_secrets`), so every
//! instance signs and checks alike; deleting that document (or restoring another
//! database) makes every earlier link stop working.

use hmac::{Hmac, Mac};
use mongodb::bson::{doc, Document};
use rand::RngCore;
use sha2::Sha256;

use super::{Core, DbContext, Error, Result};

const COLLECTION: &str = "shop_secrets";

/// The link key of this shop (read once per process, made on first use).
pub async fn key(core: &Core) -> Result<[u8; 32]> {
    core.link_key
        .get_or_try_init(|| async {
            let mut fresh = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut fresh);
            let secrets = core.db.collection::<Document>(COLLECTION);
            // The first instance to get here decides; the others read its key.
            secrets
                .update_one(
                    doc! { "_id": "link_key" },
                    doc! { "$setOnInsert": { "key": hex::encode(fresh) } },
                )
                .upsert(true)
                .await
                .context("making the link key")?;
            let stored = secrets
                .find_one(doc! { "_id": "link_key" })
                .await
                .context("reading the link key")?
                .and_then(|d| d.get_str("key").ok().and_then(|k| hex::decode(k).ok()))
                .filter(|k| k.len() == 32)
                .ok_or_else(|| {
                    Error::internal("the link key in shop_secrets is not 32 bytes of hex")
                })?;
            let mut key = [0u8; 32];
            key.copy_from_slice(&stored);
            Ok(key)
        })
        .await
        .copied()
}

fn mac(key: &[u8; 32], purpose: &str, value: &str) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(purpose.as_bytes());
    m.update(b":");
    m.update(value.as_bytes());
    m
}

/// The token for `purpose` and `value` (64 hex digits).
pub fn sign(key: &[u8; 32], purpose: &str, value: &str) -> String {
    hex::encode(mac(key, purpose, value).finalize().into_bytes())
}

/// Whether `token` is the token for `purpose` and `value` (compared in constant time).
pub fn verify(key: &[u8; 32], purpose: &str, value: &str, token: &str) -> bool {
    let Ok(bytes) = hex::decode(token.trim()) else {
        return false;
    };
    mac(key, purpose, value).verify_slice(&bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_opens_only_what_it_was_made_for() {
        let key = [7u8; 32];
        let t = sign(&key, "guest-order", "abc");
        assert!(verify(&key, "guest-order", "abc", &t));
        assert!(!verify(&key, "guest-order", "abd", &t));
        assert!(!verify(&key, "other", "abc", &t));
        assert!(!verify(&[8u8; 32], "guest-order", "abc", &t));
        let mut altered = t.clone();
        altered.replace_range(0..1, if t.starts_with('0') { "1" } else { "0" });
        assert!(!verify(&key, "guest-order", "abc", &altered));
        assert!(!verify(&key, "guest-order", "abc", "not hex"));
    }
}
