//! The text forms of values that every connector shares: ISO 8601 dates, times and datetimes, UTC
//! offsets, a datetime's `[zone]` suffix, and durations. The dump writes them inside its tagged
//! JSON (docs/FORMAT.md), Neptune stores them as strings, and the Bolt connector names offset
//! zones with [`format_offset`]; keeping one definition here means they always agree.
//!
//! This is on the hot path of file copies: formats are chrono's pre-parsed items, never strings.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

use super::{Duration, OffsetTime, ZonedDateTime};

/// The dump's temporal formats, `%Y-%m-%d`, `%H:%M:%S%.f` and `%Y-%m-%dT%H:%M:%S%.f`, as chrono's
/// pre-parsed items: `format("%Y...")` re-parses the format string on every call, which cost a
/// sixth of a file -> file copy. A test checks they equal the strings' parse.
mod items {
    use chrono::format::{Fixed, Item, Numeric::*, Pad::Zero};

    pub const DATE: &[Item<'static>] = &[
        Item::Numeric(Year, Zero),
        Item::Literal("-"),
        Item::Numeric(Month, Zero),
        Item::Literal("-"),
        Item::Numeric(Day, Zero),
    ];
    pub const TIME: &[Item<'static>] = &[
        Item::Numeric(Hour, Zero),
        Item::Literal(":"),
        Item::Numeric(Minute, Zero),
        Item::Literal(":"),
        Item::Numeric(Second, Zero),
        Item::Fixed(Fixed::Nanosecond),
    ];
    pub const DATETIME: &[Item<'static>] = &[
        Item::Numeric(Year, Zero),
        Item::Literal("-"),
        Item::Numeric(Month, Zero),
        Item::Literal("-"),
        Item::Numeric(Day, Zero),
        Item::Literal("T"),
        Item::Numeric(Hour, Zero),
        Item::Literal(":"),
        Item::Numeric(Minute, Zero),
        Item::Literal(":"),
        Item::Numeric(Second, Zero),
        Item::Fixed(Fixed::Nanosecond),
    ];
}

fn parse_with(text: &str, items: &[chrono::format::Item<'static>]) -> Option<chrono::format::Parsed> {
    let mut parsed = chrono::format::Parsed::new();
    chrono::format::parse(&mut parsed, text, items.iter()).ok()?;
    Some(parsed)
}

/// `2024-02-29`; years before 1 or after 9999 carry a sign (`-0044-03-15`).
pub fn format_date(d: &NaiveDate) -> String {
    d.format_with_items(items::DATE.iter()).to_string()
}

pub fn parse_date(text: &str) -> Option<NaiveDate> {
    parse_with(text, items::DATE)?.to_naive_date().ok()
}

/// `23:59:58.123456789`: the fraction has as many digits as it needs, none for whole seconds.
pub fn format_local_time(t: &NaiveTime) -> String {
    t.format_with_items(items::TIME.iter()).to_string()
}

pub fn parse_local_time(text: &str) -> Option<NaiveTime> {
    parse_with(text, items::TIME)?.to_naive_time().ok()
}

/// `2024-02-29T23:59:58.123456789`.
pub fn format_local_datetime(d: &NaiveDateTime) -> String {
    d.format_with_items(items::DATETIME.iter()).to_string()
}

pub fn parse_local_datetime(text: &str) -> Option<NaiveDateTime> {
    parse_with(text, items::DATETIME)?.to_naive_datetime_with_offset(0).ok()
}

/// `+HH:MM`, or `+HH:MM:SS` when the offset has seconds (historic zone offsets do).
pub fn format_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let abs = seconds.unsigned_abs();
    let (h, m, s) = (abs / 3600, abs / 60 % 60, abs % 60);
    if s == 0 {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}:{m:02}:{s:02}")
    }
}

/// The widest offset Neo4j holds: its offsets are java.time `ZoneOffset`s, limited to ±18:00.
const MAX_OFFSET_SECONDS: i32 = 18 * 3600;

/// Parses an offset into seconds east of UTC. The one offset parser: the dump, Bolt zone names
/// and anything else that reads an offset use it, so an offset one connector reads is one every
/// other connector reads the same way.
///
/// The rules are java.time's `ZoneOffset`, which Neo4j (and ArcadeDB) store and print:
/// - `Z` is zero; otherwise a sign, then `HH:MM` or `HH:MM:SS`, two digits each — the forms a
///   server prints (`ZoneOffset.getId()`) and [`format_offset`] writes;
/// - minutes and seconds up to 59, the whole offset within ±18:00;
/// - `UTC`, `GMT`, `Etc/UTC` are zone ids, not offsets: `None` here, so a caller keeps them as
///   the named zone they are (java.time's `ZoneId.of("UTC")` is a region, printed `Z[UTC]`).
pub fn parse_offset(text: &str) -> Option<i32> {
    let (sign, rest) = match text.as_bytes() {
        b"Z" => return Some(0),
        [b'+', rest @ ..] => (1, rest),
        [b'-', rest @ ..] => (-1, rest),
        _ => return None,
    };
    let (h, m, s) = match *rest {
        [h1, h0, b':', m1, m0] => (two_digits(h1, h0)?, two_digits(m1, m0)?, 0),
        [h1, h0, b':', m1, m0, b':', s1, s0] => (two_digits(h1, h0)?, two_digits(m1, m0)?, two_digits(s1, s0)?),
        _ => return None,
    };
    let seconds = h * 3600 + m * 60 + s;
    (m <= 59 && s <= 59 && seconds <= MAX_OFFSET_SECONDS).then_some(sign * seconds)
}

/// Two ASCII digits as a number; `str::parse` would also take a sign (`+5`).
fn two_digits(tens: u8, ones: u8) -> Option<i32> {
    (tens.is_ascii_digit() && ones.is_ascii_digit()).then(|| i32::from(tens - b'0') * 10 + i32::from(ones - b'0'))
}

/// Splits `<local part><offset>` at the offset's sign or `Z`, searching after the time's colon.
fn split_offset(text: &str, min_index: usize) -> Option<(&str, i32)> {
    let idx = text[min_index..].find(['+', '-', 'Z'])? + min_index;
    Some((&text[..idx], parse_offset(&text[idx..])?))
}

/// `07:30:00+05:30`: the local time, then its offset.
pub fn format_offset_time(t: &OffsetTime) -> String {
    format!("{}{}", t.time.format_with_items(items::TIME.iter()), format_offset(t.offset_seconds))
}

pub fn parse_offset_time(text: &str) -> Option<OffsetTime> {
    let (local, offset_seconds) = split_offset(text, 1)?;
    let time = parse_local_time(local)?;
    Some(OffsetTime { time, offset_seconds })
}

/// `2024-03-31T02:30:00.5+02:00[Europe/Paris]`: local time, offset, and the zone when known.
pub fn format_datetime(z: &ZonedDateTime) -> String {
    let local = z.datetime.naive_local().format_with_items(items::DATETIME.iter());
    let offset = format_offset(z.datetime.offset().local_minus_utc());
    match &z.zone {
        Some(zone) => format!("{local}{offset}[{zone}]"),
        None => format!("{local}{offset}"),
    }
}

/// Reads [`format_datetime`]'s form; a `[zone]` is kept as written, its offset is the one given.
pub fn parse_datetime(text: &str) -> Option<ZonedDateTime> {
    let (rest, zone) = match text.strip_suffix(']') {
        Some(head) => {
            let open = head.rfind('[')?;
            (&head[..open], Some(head[open + 1..].to_string()))
        }
        None => (text, None),
    };
    // The offset starts after the 'T' (dates can start with '-' or '+').
    let t = rest.find('T')?;
    let (local, offset_seconds) = split_offset(rest, t + 1)?;
    let local = parse_local_datetime(local)?;
    let offset = FixedOffset::east_opt(offset_seconds)?;
    let datetime: DateTime<FixedOffset> = offset.from_local_datetime(&local).single()?;
    Some(ZonedDateTime { datetime, zone })
}

impl fmt::Display for Duration {
    /// ISO 8601 form as Neo4j prints it: `P14M3DT3723.5S`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P{}M{}DT", self.months, self.days)?;
        // Seconds and nanoseconds may have different signs; normalise to one signed decimal.
        let total_nanos = i128::from(self.seconds) * 1_000_000_000 + i128::from(self.nanoseconds);
        let sign = if total_nanos < 0 { "-" } else { "" };
        let abs = total_nanos.unsigned_abs();
        let (secs, nanos) = (abs / 1_000_000_000, abs % 1_000_000_000);
        if nanos == 0 {
            write!(f, "{sign}{secs}S")
        } else {
            let frac = format!("{nanos:09}");
            write!(f, "{sign}{secs}.{}S", frac.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preparsed_formats_equal_their_strftime_strings() {
        use chrono::format::StrftimeItems;
        for (text, items) in
            [("%Y-%m-%d", items::DATE), ("%H:%M:%S%.f", items::TIME), ("%Y-%m-%dT%H:%M:%S%.f", items::DATETIME)]
        {
            assert_eq!(StrftimeItems::new(text).collect::<Vec<_>>(), items.to_vec(), "{text}");
        }
    }

    #[test]
    fn offsets_parse_and_print() {
        assert_eq!(parse_offset("Z"), Some(0));
        assert_eq!(parse_offset("+05:30"), Some(19800));
        assert_eq!(parse_offset("-00:19:32"), Some(-1172));
        assert_eq!(parse_offset("+5:30"), None);
        assert_eq!(format_offset(-1172), "-00:19:32");
    }

    #[test]
    fn offsets_are_java_time_zone_offsets() {
        for (text, seconds) in [("+18:00", 64_800), ("-18:00", -64_800), ("-00:00", 0), ("+14:00", 50_400)] {
            assert_eq!(parse_offset(text), Some(seconds), "{text}");
        }
        // Beyond ±18:00: the dump used to take `+18:30` (it checked the hours alone), the Bolt
        // connector anything chrono could hold; neither can be stored in Neo4j.
        for text in ["+18:30", "-18:00:01", "+19:00", "+23:59:59"] {
            assert_eq!(parse_offset(text), None, "{text}");
        }
        for text in ["+01:60", "+01:00:60", "++5:30", "+05:-1", "+1", "+01", "+0100", "+01:00:00:00", "01:00", ""] {
            assert_eq!(parse_offset(text), None, "{text}");
        }
    }

    #[test]
    fn utc_is_a_zone_not_an_offset() {
        // The Bolt connector used to read `UTC` as an offset, dropping the zone name a Neo4j
        // `datetime({timezone: 'UTC'})` carries; `Z` is the zero offset's own name.
        for zone in ["UTC", "GMT", "Etc/UTC", "UTC+01:00", "Europe/Paris", "z"] {
            assert_eq!(parse_offset(zone), None, "{zone}");
        }
        assert_eq!(parse_offset("Z"), Some(0));
    }

    #[test]
    fn every_offset_in_range_prints_and_parses_back() {
        for seconds in (-MAX_OFFSET_SECONDS..=MAX_OFFSET_SECONDS).step_by(7).chain([MAX_OFFSET_SECONDS]) {
            assert_eq!(parse_offset(&format_offset(seconds)), Some(seconds), "{seconds}");
        }
    }

    #[test]
    fn duration_prints_iso() {
        let d = Duration { months: 14, days: 3, seconds: 3723, nanoseconds: 500_000_000 };
        assert_eq!(d.to_string(), "P14M3DT3723.5S");
        let neg = Duration { months: 0, days: 0, seconds: -1, nanoseconds: 250_000_000 };
        assert_eq!(neg.to_string(), "P0M0DT-0.75S");
    }
}
