//! `eventTime` parsing without a date library: CloudTrail writes
//! `2024-07-30T21:31:16Z`; exports and fixtures also carry fractions, offsets and a
//! space instead of `T` (`2024-12-11 21:45:56.000000000`). Anything else (e.g.
//! "redacted") yields `None`, and the record is still evaluated by stateless rules.

/// How far ahead of the clock a record's `eventTime` may be and still be taken
/// at its word where it decides how long state lasts. CloudTrail stamps its
/// own time, so a record dated later was forged (the function invoked directly
/// with an envelope of one's own); a few minutes allow for clock skew.
pub const MAX_AHEAD_SECS: i64 = 300;

/// Milliseconds since the Unix epoch, or `None` if `text` is not a timestamp.
pub fn parse_event_time(text: &str) -> Option<i64> {
    let b = text.trim().as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |from: usize, len: usize| -> Option<i64> {
        let mut v = 0i64;
        for &c in b.get(from..from + len)? {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Some(v)
    };
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut millis = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 3 {
                millis = millis * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..3 {
            millis *= 10;
        }
    }
    let offset_secs = match b.get(i) {
        None => 0,
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let rest = &b[i + 1..];
            let (h, m) = match rest.len() {
                5 if rest[2] == b':' => (num(i + 1, 2)?, num(i + 4, 2)?),
                4 => (num(i + 1, 2)?, num(i + 3, 2)?),
                2 => (num(i + 1, 2)?, 0),
                _ => return None,
            };
            // No offset is a day long: `+99:99` is no time (from a review).
            if h > 23 || m > 59 {
                return None;
            }
            let s = h * 3600 + m * 60;
            if sign == b'+' { s } else { -s }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    Some(secs * 1000 + millis)
}

/// A time stamp in a record's `responseElements`, as CloudTrail writes them for
/// different services: epoch seconds or milliseconds (a number), RFC 3339 text
/// ([`parse_event_time`]), or text such as `May 20, 2026 8:00:00 AM` (with or
/// without the comma after the year), read as UTC. Milliseconds since the epoch.
pub fn parse_response_time(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => {
            let x = n.as_f64()?;
            if !x.is_finite() || x < 0.0 {
                return None;
            }
            // Ten digits are seconds until the year 5138; thirteen are milliseconds.
            let ms = if x < 1e11 { x * 1000.0 } else { x };
            (ms < 1e15).then_some(ms as i64)
        }
        serde_json::Value::String(text) => {
            parse_event_time(text).or_else(|| parse_written_out(text))
        }
        _ => None,
    }
}

/// `May 20, 2026 8:00:00 AM` or `May 20, 2026, 8:00:00 PM` (UTC).
fn parse_written_out(text: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    // Newer Java writes a narrow no-break space before AM/PM: any white space splits.
    let mut words = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty());
    let month_word = words.next()?.to_ascii_lowercase();
    let month = MONTHS.iter().position(|m| month_word.starts_with(m))? as i64 + 1;
    let day: i64 = words.next()?.parse().ok()?;
    let year: i64 = words.next()?.parse().ok()?;
    let mut clock = words.next()?.split(':');
    let (hour, minute, second): (i64, i64, i64) = (
        clock.next()?.parse().ok()?,
        clock.next()?.parse().ok()?,
        clock.next()?.parse().ok()?,
    );
    let hour = match words.next().map(str::to_ascii_uppercase).as_deref() {
        Some("AM") if (1..=12).contains(&hour) => hour % 12,
        Some("PM") if (1..=12).contains(&hour) => hour % 12 + 12,
        None if hour <= 23 => hour,
        _ => return None,
    };
    if words.next().is_some()
        || !(1..=9999).contains(&year)
        || !(1..=days_in_month(year, month)).contains(&day)
        || minute > 59
        || second > 60
    {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Some(secs * 1000)
}

/// Formats epoch milliseconds as RFC 3339 UTC with seconds (`2024-07-30T21:31:16Z`),
/// adding milliseconds only when there are some.
pub fn format_event_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    if millis == 0 {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{millis:03}Z")
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's civil-date algorithms (public domain), for proleptic Gregorian dates.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_response_time_stamps_in_each_form() {
        use serde_json::json;
        let t = parse_event_time("2026-05-20T20:00:00Z");
        for v in [
            json!(1_779_307_200),
            json!(1_779_307_200_000_i64),
            json!(1_779_307_200.0),
            json!("2026-05-20T20:00:00Z"),
            json!("May 20, 2026 8:00:00 PM"),
            json!("May 20, 2026, 8:00:00 PM"),
            json!("May 20, 2026 20:00:00"),
            json!("May 20, 2026, 8:00:00\u{202f}PM"),
        ] {
            assert_eq!(parse_response_time(&v), t, "{v}");
        }
        assert_eq!(
            parse_response_time(&json!("May 20, 2026 12:00:00 AM")),
            parse_event_time("2026-05-20T00:00:00Z")
        );
        for v in [
            json!("Feb 30, 2026 1:00:00 AM"),
            json!("May 20, 2026 13:00:00 PM"),
            json!("soon"),
            json!(-1),
            json!(null),
            json!(1e300),
        ] {
            assert_eq!(parse_response_time(&v), None, "{v}");
        }
    }

    #[test]
    fn parses_the_forms_seen_in_the_wild() {
        assert_eq!(parse_event_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_event_time("2024-07-30T21:31:16Z"),
            Some(1_722_375_076_000)
        );
        assert_eq!(
            parse_event_time("2024-07-30 21:31:16.250000000"),
            Some(1_722_375_076_250)
        );
        assert_eq!(
            parse_event_time("2024-07-30T23:31:16+02:00"),
            Some(1_722_375_076_000)
        );
        assert!(parse_event_time("2024-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn refuses_what_is_not_a_time() {
        for t in [
            "redacted",
            "",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-07-30T21:31:16Zjunk",
            "2024-07-30T21:31:16.Z",
            // From a review: offsets a day long or more.
            "2026-01-01T00:00:00+99:99",
            "2026-01-01T00:00:00-24:00",
            "2026-01-01T00:00:00+0160",
        ] {
            assert_eq!(parse_event_time(t), None, "{t}");
        }
    }

    #[test]
    fn formats_round_trip() {
        for t in [
            "2024-07-30T21:31:16Z",
            "1999-12-31T23:59:59.123Z",
            "2026-11-28T00:00:00Z",
        ] {
            assert_eq!(format_event_time(parse_event_time(t).unwrap()), t);
        }
    }
}
