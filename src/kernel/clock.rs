//! The shop's time zone: times on pages, in mails and on the dashboard are shown
//! in it (not UTC), and "today" on the dashboard is the shop's day. An admin
//! setting kept in `shop_settings` (`timezone`, an IANA name such as
//! `Europe/Berlin`); every instance reads it at start and every 30 seconds, and
//! the instance that saves it uses it at once. The zone database is compiled in,
//! so it works the same in a bare container.

use std::sync::RwLock;
use std::time::Duration;

use jiff::tz::TimeZone;
use jiff::Timestamp;
use mongodb::bson::{doc, Document};
use mongodb::Database;

use super::Result;

static SHOP_ZONE: RwLock<Option<(String, TimeZone)>> = RwLock::new(None);

/// The zone used until an admin chooses one.
pub const DEFAULT_ZONE: &str = "UTC";

/// Whether `name` is a time zone this shop knows.
pub fn parse_zone(name: &str) -> Option<TimeZone> {
    let name = name.trim();
    if name.is_empty() || name.len() > 64 {
        return None;
    }
    TimeZone::get(name).ok()
}

/// Every zone name, sorted (for the settings page).
pub fn zone_names() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_string())
        .filter(|n| n.contains('/') || n == "UTC")
        .filter(|n| {
            !n.starts_with("Etc/")
                && !n.starts_with("SystemV/")
                && !n.starts_with("posix/")
                && !n.starts_with("right/")
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

fn use_zone(name: &str) {
    if let Some(tz) = parse_zone(name) {
        if let Ok(mut z) = SHOP_ZONE.write() {
            *z = Some((name.trim().to_string(), tz));
        }
    }
}

fn settings(db: &Database) -> mongodb::Collection<Document> {
    db.collection("shop_settings")
}

/// The shop's zone as saved in the database (what figures that depend on the
/// day use, whatever this instance last read).
pub async fn zone_of(db: &Database) -> Result<(String, TimeZone)> {
    let name = settings(db)
        .find_one(doc! { "_id": "shop" })
        .await?
        .and_then(|d| d.get_str("timezone").ok().map(str::to_string))
        .unwrap_or_else(|| DEFAULT_ZONE.to_string());
    Ok(match parse_zone(&name) {
        Some(tz) => (name, tz),
        None => (DEFAULT_ZONE.to_string(), TimeZone::UTC),
    })
}

/// Reads the shop's zone from the database and uses it for showing times.
pub async fn load(db: &Database) -> Result<()> {
    let (name, _) = zone_of(db).await?;
    use_zone(&name);
    Ok(())
}

/// Saves the shop's zone (checked by the caller with [`parse_zone`]) and uses it.
pub async fn save(db: &Database, name: &str) -> Result<()> {
    settings(db)
        .update_one(
            doc! { "_id": "shop" },
            doc! { "$set": { "timezone": name.trim() } },
        )
        .upsert(true)
        .await?;
    use_zone(name);
    Ok(())
}

/// Keeps this instance's zone in step with the setting (another instance may change it).
pub fn spawn_refresher(db: Database) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(30)).await;
            if let Err(e) = load(&db).await {
                tracing::debug!("could not read the shop's time zone: {e}");
            }
        }
    });
}

fn timestamp(t: mongodb::bson::DateTime) -> Timestamp {
    Timestamp::from_millisecond(t.timestamp_millis()).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The zone times are shown in (without its name).
fn shop_tz() -> TimeZone {
    SHOP_ZONE
        .read()
        .ok()
        .and_then(|z| z.as_ref().map(|(_, tz)| tz.clone()))
        .unwrap_or(TimeZone::UTC)
}

/// "27 Nov 2026, 14:05 CET": a moment as the shop's people read it.
pub fn display(t: mongodb::bson::DateTime) -> String {
    display_in(t, &shop_tz())
}

/// A moment as shown in zone `tz`.
pub fn display_in(t: mongodb::bson::DateTime, tz: &TimeZone) -> String {
    timestamp(t)
        .to_zoned(tz.clone())
        .strftime("%-d %b %Y, %H:%M %Z")
        .to_string()
}

/// The calendar day of a moment in zone `tz`.
pub fn local_date(t: mongodb::bson::DateTime, tz: &TimeZone) -> jiff::civil::Date {
    timestamp(t).to_zoned(tz.clone()).date()
}

/// The moment day `date` begins in zone `tz`.
pub fn start_of(date: jiff::civil::Date, tz: &TimeZone) -> mongodb::bson::DateTime {
    let millis = date
        .to_zoned(tz.clone())
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(0);
    mongodb::bson::DateTime::from_millis(millis)
}

/// Today in zone `tz`.
pub fn today(tz: &TimeZone) -> jiff::civil::Date {
    local_date(mongodb::bson::DateTime::now(), tz)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_checked_and_listed() {
        assert!(parse_zone("Europe/Berlin").is_some());
        assert!(parse_zone("America/Los_Angeles").is_some());
        assert!(parse_zone("Mars/Olympus").is_none());
        assert!(parse_zone("").is_none());
        let names = zone_names();
        assert!(names.iter().any(|n| n == "Asia/Tokyo"));
        assert!(names.iter().any(|n| n == "UTC"));
    }

    #[test]
    fn a_day_starts_at_local_midnight() {
        let tz = parse_zone("America/New_York").unwrap();
        let date = jiff::civil::date(2026, 7, 4);
        let start = date.to_zoned(tz).unwrap().timestamp();
        // New York is four hours behind UTC in July.
        assert_eq!(start.to_string(), "2026-07-04T04:00:00Z");
    }
}
