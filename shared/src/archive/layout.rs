//! CloudTrail's S3 key layout, and which prefixes and keys a replay filter needs.
//!
//! A trail writes `[PREFIX/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<file>`;
//! an organization trail inserts the organization id:
//! `[PREFIX/]AWSLogs/<o-id>/<account>/CloudTrail/<region>/YYYY/MM/DD/<file>`. File
//! names are `<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<id>.json.gz`, the time
//! being when the file was delivered (the day folders follow it).
//!
//! Pure: no AWS types. [`Plan`] walks the layout one level at a time: what it knows
//! from the filter (accounts, Regions, days) it writes down; what it does not, it
//! asks the caller to list with Delimiter "/" ([`Step::List`]) and continues from
//! the common prefixes found ([`Plan::expand`]). The leaves are day folders
//! ([`Step::Day`]), whose keys [`Plan::keep`] narrows by the file-name time.

use crate::event::time::{format_event_time, parse_event_time};

/// The folder every trail writes under.
pub const AWS_LOGS: &str = "AWSLogs";
const DAY_MS: i64 = 86_400_000;
/// A file named for minute M was delivered during M: it holds nothing later.
const NAME_MINUTE_MS: i64 = 60_000;
/// How long after `--until` a file is still read for late records. CloudTrail
/// delivers within about 5 minutes on average, never promised; an hour covers
/// the usual delays (docs/replay-s3.md).
pub const DELIVERY_GRACE_MS: i64 = 3_600_000;

/// What a replay keeps: records with `since <= eventTime < until` (epoch ms), of
/// these accounts and Regions (empty: all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
}

impl Filter {
    /// Whether nothing is filtered.
    pub fn is_empty(&self) -> bool {
        self.since.is_none()
            && self.until.is_none()
            && self.accounts.is_empty()
            && self.regions.is_empty()
    }

    /// Whether a record with these fields is inside the filter. A record without a
    /// readable `eventTime` (or account, Region) is outside any bound on it.
    pub fn admits(
        &self,
        time_ms: Option<i64>,
        account: Option<&str>,
        region: Option<&str>,
    ) -> bool {
        if self.since.is_some() || self.until.is_some() {
            let Some(t) = time_ms else { return false };
            if self.since.is_some_and(|s| t < s) || self.until.is_some_and(|u| t >= u) {
                return false;
            }
        }
        listed(&self.accounts, account) && listed(&self.regions, region)
    }

    fn account_allowed(&self, account: &str) -> bool {
        listed(&self.accounts, Some(account))
    }

    fn region_allowed(&self, region: &str) -> bool {
        listed(&self.regions, Some(region))
    }
}

fn listed(list: &[String], value: Option<&str>) -> bool {
    list.is_empty() || value.is_some_and(|v| list.iter().any(|l| l == v))
}

/// `--since`: a day (`2026-01-05`, from its midnight UTC) or an RFC 3339 time.
pub fn parse_since(text: &str) -> Result<i64, String> {
    parse_bound(text, false)
}

/// `--until` (exclusive): a day (`2026-01-05`, up to its end) or an RFC 3339 time.
pub fn parse_until(text: &str) -> Result<i64, String> {
    parse_bound(text, true)
}

fn parse_bound(text: &str, end_of_day: bool) -> Result<i64, String> {
    let t = text.trim();
    let is_time = t.len() >= 19 && t.as_bytes()[10] == b'T';
    // A zone is required: a time without one would silently mean UTC.
    // `get`: byte 19 may fall inside a character of a mistyped time.
    let zoned = t.ends_with(['Z', 'z']) || t.get(19..).is_some_and(|z| z.contains(['+', '-']));
    let parsed = if t.len() == 10 {
        parse_event_time(&format!("{t}T00:00:00Z")).map(|ms| ms + i64::from(end_of_day) * DAY_MS)
    } else if is_time && zoned {
        parse_event_time(t)
    } else if is_time && parse_event_time(&format!("{t}Z")).is_some() {
        return Err(format!(
            "{t:?} has no time zone: add Z for UTC ({t}Z) or an offset ({t}+01:00)"
        ));
    } else {
        None
    };
    parsed.ok_or_else(|| {
        format!("{t:?} is neither a day (YYYY-MM-DD) nor a time (2026-01-05T10:00:00Z)")
    })
}

/// `--accounts`: 12-digit account ids, sorted, without repeats.
pub fn parse_accounts(items: &[String]) -> Result<Vec<String>, String> {
    parse_list(items, is_account, "an account id (12 digits)")
}

/// `--regions`: Region names (`us-east-1`), sorted, without repeats.
pub fn parse_regions(items: &[String]) -> Result<Vec<String>, String> {
    parse_list(items, is_region, "a Region name (like us-east-1)")
}

/// A list given with nothing in it but blanks (`--accounts "$UNSET"`,
/// `"accounts": [""]`): where a caller names the list, refused rather than read
/// as "all", which an absent list means. (The functions' expected lists come
/// from variables that are empty when unset, and take it as none.)
pub fn only_blanks(items: &[String]) -> bool {
    !items.is_empty() && items.iter().all(|s| s.trim().is_empty())
}

fn parse_list(items: &[String], ok: fn(&str) -> bool, what: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for item in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if !ok(item) {
            return Err(format!(
                "{:?} is not {what}",
                crate::sanitize::one_line(item, 80)
            ));
        }
        out.push(item.to_owned());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

pub fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// An AWS Organizations id: `o-` and 10 to 32 lowercase letters or digits.
pub fn is_org_id(s: &str) -> bool {
    s.strip_prefix("o-").is_some_and(|r| {
        (10..=32).contains(&r.len())
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// The Regions AWS had when this list was written (December 2026), in every
/// partition: a `--regions` value outside it is most likely mistyped, which an
/// S3 replay, listing only the Regions asked, cannot see for itself. A newer
/// Region is still read: the list only warns.
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eusc-de-east-1",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// A warning for each of `regions` not in [`KNOWN_REGIONS`], with the known
/// Region it most likely means.
pub fn unknown_regions(regions: &[String]) -> Vec<String> {
    regions
        .iter()
        .filter(|r| !KNOWN_REGIONS.contains(&r.as_str()))
        .map(|r| {
            let hint = crate::spelling::nearest(r, KNOWN_REGIONS.iter().copied())
                .map(|k| format!(" (did you mean {k}?)"))
                .unwrap_or_default();
            format!(
                "--regions: {:?} is not a Region this build knows{hint}; read as given",
                crate::sanitize::one_line(r, 80)
            )
        })
        .collect()
}

/// A Region name as a folder: lowercase letters, digits and dashes, starting with
/// a letter (`us-east-1`, `us-gov-west-1`, `cn-north-1`).
pub fn is_region(s: &str) -> bool {
    (4..=32).contains(&s.len())
        && s.as_bytes()[0].is_ascii_lowercase()
        && s.contains('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Which of S3's naming rules a bucket name follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketName {
    /// Today's rules: 3 to 63 lowercase letters, digits, dots and hyphens,
    /// starting and ending with a letter or digit.
    Current,
    /// The rules of us-east-1 before March 2018: up to 255 letters of either
    /// case, digits, dots, hyphens and underscores. Such a bucket (an old
    /// trail's, say) still exists and is reached by path, never in a host name.
    Legacy,
}

/// The rules `bucket` follows, by its characters and length; `None` for a name
/// no rule ever allowed (nothing else may reach a host name or a path). The
/// finer rules (no `..`, not an IP address) are left to S3: such a name is
/// addressed by path, where it cannot change the URL's meaning. A legacy name must start with a
/// letter or digit here, so that it can never be a `.` or `..` path segment.
pub fn bucket_name(bucket: &str) -> Option<BucketName> {
    let b = bucket.as_bytes();
    let starts_well = b.first().is_some_and(u8::is_ascii_alphanumeric);
    let current = (3..=63).contains(&b.len())
        && starts_well
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'-'));
    if current {
        return Some(BucketName::Current);
    }
    let legacy = (3..=255).contains(&b.len())
        && starts_well
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'));
    legacy.then_some(BucketName::Legacy)
}

/// `s3://BUCKET/PREFIX` (the prefix may be empty) into its bucket and prefix.
pub fn parse_s3_url(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| format!("{url:?} is not s3://BUCKET/PREFIX"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket_name(bucket).is_none() {
        return Err(format!(
            "{:?}: the bucket name is not valid (3 to 63 lowercase letters, digits, '-', '.'; \
             or an older us-east-1 name: up to 255 letters, digits, '-', '.', '_')",
            crate::sanitize::one_line(url, 200)
        ));
    }
    Ok((bucket.to_owned(), prefix.to_owned()))
}

/// Where a replay's PREFIX points inside the layout.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Everything up to and including `AWSLogs/`.
    pub base: String,
    pub org: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    /// Year, month and day folders, as far as the prefix goes.
    pub date: Vec<u32>,
}

impl Scope {
    /// Reads PREFIX: without an `AWSLogs` folder it is where the trail writes (the
    /// bucket root or the trail's key prefix) and `AWSLogs/` is below it; with one,
    /// each folder after it must be what the layout puts there. A prefix is taken
    /// as whole folders (`AWSLogs/1111` is not a partial account id). The last
    /// `AWSLogs` is the layout's: a trail's own key prefix may hold one too
    /// (`archive/AWSLogs/2019/`), and nothing the layout puts below it is named so.
    pub fn parse(prefix: &str) -> Result<Scope, String> {
        let trimmed = prefix.trim_matches('/');
        let parts: Vec<&str> = if trimmed.is_empty() {
            Vec::new()
        } else {
            trimmed.split('/').collect()
        };
        let Some(at) = parts.iter().rposition(|p| *p == AWS_LOGS) else {
            let base = if trimmed.is_empty() {
                format!("{AWS_LOGS}/")
            } else {
                format!("{trimmed}/{AWS_LOGS}/")
            };
            return Ok(Scope {
                base,
                ..Scope::default()
            });
        };
        let mut scope = Scope {
            base: format!("{}/", parts[..=at].join("/")),
            ..Scope::default()
        };
        let mut rest = parts[at + 1..].iter().copied();
        let bad = |what: &str, got: &str| {
            Err(format!(
                "prefix {:?}: expected {what} where it has {:?}",
                crate::sanitize::one_line(prefix, 200),
                crate::sanitize::one_line(got, 80)
            ))
        };
        let Some(first) = rest.next() else {
            return Ok(scope);
        };
        if is_org_id(first) {
            scope.org = Some(first.to_owned());
            match rest.next() {
                None => return Ok(scope),
                Some(a) if is_account(a) => scope.account = Some(a.to_owned()),
                Some(a) => return bad("an account id", a),
            }
        } else if is_account(first) {
            scope.account = Some(first.to_owned());
        } else {
            return bad("an account id or an organization id", first);
        }
        match rest.next() {
            None => return Ok(scope),
            Some("CloudTrail") => {}
            Some(other) => return bad("CloudTrail", other),
        }
        match rest.next() {
            None => return Ok(scope),
            Some(r) if is_region(r) => scope.region = Some(r.to_owned()),
            Some(r) => return bad("a Region", r),
        }
        for (i, (width, max)) in [(4, 9999), (2, 12), (2, 31)].into_iter().enumerate() {
            let Some(part) = rest.next() else {
                return Ok(scope);
            };
            match number(part, width) {
                Some(n) if n >= 1 && n <= max => scope.date.push(n),
                _ => return bad(["a year", "a month", "a day"][i], part),
            }
            // A day the calendar does not have (02/31) would bound no days, and
            // so widen the read to every day instead of none.
            if let [y, m, d] = scope.date[..]
                && day_number(y, m, d).is_none()
            {
                return bad("a day of that month", part);
            }
        }
        match rest.next() {
            None => Ok(scope),
            Some(extra) => bad("nothing (PREFIX ends at a day folder)", extra),
        }
    }

    /// The days (as day numbers since the epoch) the prefix's date folders cover.
    fn days(&self) -> Option<(i64, i64)> {
        let first = |y: u32, m: u32, d: u32| day_number(y, m, d);
        match self.date[..] {
            [] => None,
            [y] => Some((first(y, 1, 1)?, first(y + 1, 1, 1)? - 1)),
            [y, m] => {
                let next = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                Some((first(y, m, 1)?, first(next.0, next.1, 1)? - 1))
            }
            [y, m, d, ..] => {
                let n = first(y, m, d)?;
                Some((n, n))
            }
        }
    }
}

fn number(s: &str, width: usize) -> Option<u32> {
    (s.len() == width && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Days since the epoch of a calendar day, if it exists.
fn day_number(y: u32, m: u32, d: u32) -> Option<i64> {
    parse_event_time(&format!("{y:04}-{m:02}-{d:02}T00:00:00Z")).map(|ms| ms.div_euclid(DAY_MS))
}

/// `YYYY/MM/DD` of a day number.
fn day_folder(day: i64) -> String {
    let t = format_event_time(day * DAY_MS);
    format!("{}/{}/{}", &t[..4], &t[5..7], &t[8..10])
}

/// A log file's key, read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogKey {
    pub org: Option<String>,
    pub account: String,
    pub region: String,
    /// The day folder, as a day number since the epoch.
    pub day: i64,
    /// The delivery minute in the file name (epoch ms), when the name has one.
    pub minute: Option<i64>,
}

impl LogKey {
    /// Reads a key of either layout (with any trail prefix before `AWSLogs`, one
    /// holding an `AWSLogs` folder of its own included: the layout's is the last
    /// folder so named, the file name aside).
    pub fn parse(key: &str) -> Option<LogKey> {
        let parts: Vec<&str> = key.split('/').collect();
        let (_, folders) = parts.split_last()?;
        let at = folders.iter().rposition(|p| *p == AWS_LOGS)?;
        let mut rest = &parts[at + 1..];
        let org = match rest.first() {
            Some(o) if is_org_id(o) => {
                rest = &rest[1..];
                Some((*o).to_owned())
            }
            _ => None,
        };
        let [account, "CloudTrail", region, y, m, d, name] = rest else {
            return None;
        };
        if !is_account(account) || !is_region(region) {
            return None;
        }
        let day = day_number(number(y, 4)?, number(m, 2)?, number(d, 2)?)?;
        Some(LogKey {
            org,
            account: (*account).to_owned(),
            region: (*region).to_owned(),
            day,
            minute: name_minute(name),
        })
    }
}

/// The `YYYYMMDDTHHmmZ` field of a CloudTrail file name, in epoch ms.
fn name_minute(name: &str) -> Option<i64> {
    let stamp = name.split('_').nth(3)?;
    let b = stamp.as_bytes();
    // Digits checked before slicing: a key may hold any character, and a slice
    // inside one panics.
    if b.len() != 14
        || b[8] != b'T'
        || b[13] != b'Z'
        || !b[..8].iter().chain(&b[9..13]).all(u8::is_ascii_digit)
    {
        return None;
    }
    let text = format!(
        "{}-{}-{}T{}:{}:00Z",
        &stamp[..4],
        &stamp[4..6],
        &stamp[6..8],
        &stamp[9..11],
        &stamp[11..13]
    );
    parse_event_time(&text)
}

/// The order a replay reads the keys of one day in: by delivery minute, then key.
/// Across accounts and Regions this keeps records close to time order, which
/// windows and sequences keyed across accounts need; ties and unnamed files fall
/// back to the key, so the order never depends on timing.
pub fn sort_day(keys: &mut [String]) {
    keys.sort_by_cached_key(|k| (LogKey::parse(k).and_then(|l| l.minute), k.clone()));
}

/// The longest day range whose folders are written down rather than listed.
pub const MAX_NAMED_DAYS: i64 = 31;

/// What the folders below a [`Step::List`] prefix are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Below `AWSLogs/`: accounts and organization ids.
    AwsLogs,
    /// Below `AWSLogs/<o-id>/`: accounts.
    Org,
    /// Below `.../CloudTrail/`: Regions.
    Regions,
    Years,
    Months,
    Days,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// List this prefix with Delimiter "/" and pass the common prefixes to
    /// [`Plan::expand`].
    List { prefix: String, level: Level },
    /// A day folder: list its keys (no delimiter) and read those [`Plan::keep`]s.
    Day { prefix: String, day: i64 },
}

/// The walk of one PREFIX for one filter.
#[derive(Debug, Clone)]
pub struct Plan {
    filter: Filter,
    scope: Scope,
    /// First and last day folder to read (day numbers), each when known.
    first_day: Option<i64>,
    last_day: Option<i64>,
    /// Today's day number (UTC, with the delivery grace): no folder is later.
    today: i64,
}

impl Plan {
    /// `now_ms` bounds `--until`, open or far ahead: no folder is later than
    /// today (a `--until 9999-12-31` would otherwise list millions of days).
    pub fn new(scope: Scope, filter: Filter, now_ms: i64) -> Plan {
        // A file holds records from before its delivery minute only: the day of
        // `since` is the first folder with a file that can matter.
        let mut first_day = filter.since.map(|s| s.div_euclid(DAY_MS));
        let today = now_ms.saturating_add(DELIVERY_GRACE_MS).div_euclid(DAY_MS);
        let mut last_day = match filter.until {
            Some(u) => Some((u - 1 + DELIVERY_GRACE_MS).div_euclid(DAY_MS).min(today)),
            None => filter.since.map(|_| today),
        };
        if let Some((a, b)) = scope.days() {
            first_day = Some(first_day.map_or(a, |f| f.max(a)));
            last_day = Some(last_day.map_or(b, |l| l.min(b)));
        }
        Plan {
            filter,
            scope,
            first_day,
            last_day,
            today,
        }
    }

    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// The day folder after the PREFIX's last one, when the PREFIX names date
    /// folders and the range asked reaches past them: the files of its last
    /// day's late records are delivered there, outside the PREFIX, and are not
    /// read (from a review: a month PREFIX with `--until` its last day found
    /// nothing of a record from 23:59, which the Region PREFIX finds).
    pub fn late_deliveries_outside(&self) -> Option<String> {
        let (_, last) = self.scope.days()?;
        let asked = self
            .filter
            .until
            .map(|u| (u - 1 + DELIVERY_GRACE_MS).div_euclid(DAY_MS));
        (last < self.today && asked.is_none_or(|a| a > last)).then(|| day_folder(last + 1))
    }

    /// The folders the PREFIX names (down to the Region), for one listing
    /// that tells a PREFIX with nothing under it from a quiet range.
    pub fn scope_prefix(&self) -> String {
        let s = &self.scope;
        let mut p = s.base.clone();
        for part in [&s.org, &s.account].into_iter().flatten() {
            p.push_str(part);
            p.push('/');
        }
        if s.account.is_some() {
            p.push_str("CloudTrail/");
            if let Some(r) = &s.region {
                p.push_str(r);
                p.push('/');
            }
        }
        p
    }

    /// The first steps: what the scope and the filter name, listings for the rest.
    pub fn start(&self) -> Vec<Step> {
        let s = &self.scope;
        let mut out = Vec::new();
        match (&s.org, &s.account) {
            (org, Some(account)) => {
                if self.filter.account_allowed(account) {
                    let org = org.as_ref().map(|o| format!("{o}/")).unwrap_or_default();
                    self.account(&format!("{}{org}{account}/", s.base), &mut out);
                }
            }
            (Some(org), None) => self.org(&format!("{}{org}/", s.base), &mut out),
            (None, None) => out.push(Step::List {
                // Even with --accounts: only a listing tells which organizations there are.
                prefix: s.base.clone(),
                level: Level::AwsLogs,
            }),
        }
        out
    }

    /// The steps below a listed prefix, from the common prefixes S3 returned
    /// (in S3's order, which the steps keep). Folders that are not what the layout
    /// puts there are ignored.
    pub fn expand(&self, prefix: &str, level: Level, common_prefixes: &[String]) -> Vec<Step> {
        let mut out = Vec::new();
        for child in common_prefixes {
            let Some(name) = child
                .strip_prefix(prefix)
                .and_then(|n| n.strip_suffix('/'))
                .filter(|n| !n.contains('/'))
            else {
                continue;
            };
            match level {
                Level::AwsLogs if is_org_id(name) => self.org(child, &mut out),
                Level::AwsLogs | Level::Org => {
                    if is_account(name) && self.filter.account_allowed(name) {
                        self.account(child, &mut out);
                    }
                }
                Level::Regions => {
                    if is_region(name) && self.filter.region_allowed(name) {
                        self.region(child, &mut out);
                    }
                }
                Level::Years | Level::Months | Level::Days => {
                    self.date_folder(child, level, name, &mut out)
                }
            }
        }
        out
    }

    /// Whether a key listed under a day folder is read: log files whose delivery
    /// minute can hold records inside `--since`/`--until` (plus the grace for late
    /// delivery). Other keys are read (and reported if bad) when their name is
    /// one a local directory's replay reads (`.json`, `.jsonl`, `.ndjson`,
    /// `.gz`): the same archive gives the same counts locally and from S3.
    pub fn keep(&self, key: &str) -> bool {
        let name = key.rsplit('/').next().unwrap_or(key);
        if !crate::event::reader::is_input_file_name(name) {
            return false;
        }
        let Some(minute) = LogKey::parse(key).and_then(|k| k.minute) else {
            return true;
        };
        let after_since = self
            .filter
            .since
            .is_none_or(|s| minute + NAME_MINUTE_MS > s);
        let before_until = self
            .filter
            .until
            .is_none_or(|u| minute < u + DELIVERY_GRACE_MS);
        after_since && before_until
    }

    fn org(&self, prefix: &str, out: &mut Vec<Step>) {
        if self.filter.accounts.is_empty() {
            out.push(Step::List {
                prefix: prefix.to_owned(),
                level: Level::Org,
            });
        } else {
            for a in &self.filter.accounts {
                self.account(&format!("{prefix}{a}/"), out);
            }
        }
    }

    fn account(&self, prefix: &str, out: &mut Vec<Step>) {
        let trail = format!("{prefix}CloudTrail/");
        if let Some(r) = &self.scope.region {
            if self.filter.region_allowed(r) {
                self.region(&format!("{trail}{r}/"), out);
            }
        } else if self.filter.regions.is_empty() {
            out.push(Step::List {
                prefix: trail,
                level: Level::Regions,
            });
        } else {
            for r in &self.filter.regions {
                self.region(&format!("{trail}{r}/"), out);
            }
        }
    }

    fn region(&self, prefix: &str, out: &mut Vec<Step>) {
        match (self.first_day, self.last_day) {
            // A short range is written down; a long one is listed (years, months,
            // days, each pruned by the range): a `--since` years back would
            // otherwise plan, hold and list every day since, most before the
            // trail existed (from a review).
            (Some(first), Some(last)) if last.saturating_sub(first) < MAX_NAMED_DAYS => {
                for day in first..=last {
                    out.push(Step::Day {
                        prefix: format!("{prefix}{}/", day_folder(day)),
                        day,
                    });
                }
            }
            // From the deepest date folder the PREFIX names: listing the
            // Region above a year PREFIX went outside it, which a policy
            // narrowed to the PREFIX refuses (from a review).
            _ => out.push(match self.scope.date[..] {
                [y] => Step::List {
                    prefix: format!("{prefix}{y:04}/"),
                    level: Level::Months,
                },
                [y, m] => Step::List {
                    prefix: format!("{prefix}{y:04}/{m:02}/"),
                    level: Level::Days,
                },
                _ => Step::List {
                    prefix: prefix.to_owned(),
                    level: Level::Years,
                },
            }),
        }
    }

    /// A year, month or day folder found by listing, if the days allow it.
    fn date_folder(&self, child: &str, level: Level, name: &str, out: &mut Vec<Step>) {
        let (width, next) = match level {
            Level::Years => (4, Some(Level::Months)),
            Level::Months => (2, Some(Level::Days)),
            _ => (2, None),
        };
        if number(name, width).is_none() {
            return;
        }
        // The folder's date so far, read back from the child prefix's last parts.
        let parts: Vec<&str> = child.trim_end_matches('/').rsplit('/').collect();
        let depth = match level {
            Level::Years => 1,
            Level::Months => 2,
            _ => 3,
        };
        let Some(date) = parts
            .get(..depth)
            .map(|p| {
                p.iter()
                    .rev()
                    .filter_map(|x| x.parse::<u32>().ok())
                    .collect::<Vec<_>>()
            })
            .filter(|d| d.len() == depth)
        else {
            return;
        };
        let Some((a, b)) = (Scope {
            date: date.clone(),
            ..Scope::default()
        })
        .days() else {
            return;
        };
        if self.first_day.is_some_and(|f| b < f) || self.last_day.is_some_and(|l| a > l) {
            return;
        }
        match next {
            Some(level) => out.push(Step::List {
                prefix: child.to_owned(),
                level,
            }),
            None => out.push(Step::Day {
                prefix: child.to_owned(),
                day: a,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = "o-abcde12345";
    const A: &str = "111111111111";
    const B: &str = "222222222222";

    fn ms(t: &str) -> i64 {
        parse_event_time(t).unwrap()
    }

    fn day(t: &str) -> i64 {
        ms(&format!("{t}T00:00:00Z")) / DAY_MS
    }

    /// The day these tests run on: after every day they plan.
    fn today() -> i64 {
        ms("2026-12-05T00:00:00Z")
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn prefixes(steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .map(|s| match s {
                Step::List { prefix, level } => format!("list {prefix} {level:?}"),
                Step::Day { prefix, .. } => format!("day {prefix}"),
            })
            .collect()
    }

    #[test]
    fn bounds_are_days_or_zoned_times() {
        assert_eq!(
            parse_since("2026-01-05").unwrap(),
            ms("2026-01-05T00:00:00Z")
        );
        assert_eq!(
            parse_until("2026-01-05").unwrap(),
            ms("2026-01-06T00:00:00Z")
        );
        assert_eq!(
            parse_until("2026-01-05T10:00:00Z").unwrap(),
            ms("2026-01-05T10:00:00Z")
        );
        assert_eq!(
            parse_since("2026-01-05T12:00:00+02:00").unwrap(),
            ms("2026-01-05T10:00:00Z")
        );
        for bad in [
            "2026-01-05T10:00:00",
            "yesterday",
            "2026-02-30",
            "2026-1-5",
            "",
            // Byte 19 inside a character: an error, not a panic.
            "2026-01-05T10:00:0é",
            "2026-01-05T10:00:00é+",
        ] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
        // From a review: the message says what is missing.
        for unzoned in ["2026-01-05T10:00:00", "2026-01-05T10:00:00.250"] {
            let e = parse_until(unzoned).unwrap_err();
            assert!(
                e.contains("no time zone") && e.contains(&format!("{unzoned}Z")),
                "{e}"
            );
        }
    }

    #[test]
    fn lists_are_checked_sorted_and_deduplicated() {
        assert_eq!(
            parse_accounts(&strings(&[B, A, B])).unwrap(),
            strings(&[A, B])
        );
        assert!(parse_accounts(&strings(&["12345"])).is_err());
        // An empty list is no filter (the functions' expected accounts, unset).
        assert_eq!(
            parse_accounts(&strings(&[""])).unwrap(),
            Vec::<String>::new()
        );
        assert!(parse_accounts(&strings(&["../../x0000000"])).is_err());
        assert_eq!(
            parse_regions(&strings(&["us-east-1", " eu-west-3"])).unwrap(),
            strings(&["eu-west-3", "us-east-1"])
        );
        assert!(parse_regions(&strings(&["us-east-1/.."])).is_err());
        assert!(parse_regions(&strings(&["US-EAST-1"])).is_err());
    }

    /// A Region this build does not know is named with the one it most likely
    /// means; known ones, and none, say nothing.
    #[test]
    fn unknown_regions_are_named_with_a_guess() {
        assert!(unknown_regions(&strings(&["us-east-1", "eusc-de-east-1"])).is_empty());
        assert_eq!(
            unknown_regions(&strings(&["us-eas-1", "zz-nowhere-9"])),
            [
                "--regions: \"us-eas-1\" is not a Region this build knows (did you mean us-east-1?); read as given",
                "--regions: \"zz-nowhere-9\" is not a Region this build knows; read as given",
            ]
        );
        assert!(KNOWN_REGIONS.iter().all(|r| is_region(r)));
    }

    #[test]
    fn urls_split_into_bucket_and_prefix() {
        assert_eq!(
            parse_s3_url("s3://logs/AWSLogs/").unwrap(),
            ("logs".into(), "AWSLogs/".into())
        );
        assert_eq!(
            parse_s3_url("s3://logs").unwrap(),
            ("logs".into(), "".into())
        );
        assert!(parse_s3_url("s3:///x").is_err());
        assert!(parse_s3_url("https://logs/x").is_err());
        assert!(parse_s3_url("s3://bad bucket/x").is_err());
        // An older us-east-1 bucket keeps its capitals and underscores.
        assert_eq!(
            parse_s3_url("s3://Old_Trail.Logs/AWSLogs/").unwrap(),
            ("Old_Trail.Logs".into(), "AWSLogs/".into())
        );
    }

    #[test]
    fn bucket_names_follow_todays_rules_or_the_legacy_ones() {
        use BucketName::{Current, Legacy};
        let (longest_current, first_legacy) = ("a".repeat(63), "a".repeat(64));
        let (longest_legacy, too_long) = ("a".repeat(255), "a".repeat(256));
        for (name, rules) in [
            ("my-org-cloudtrail", Some(Current)),
            ("logs.example.com", Some(Current)),
            ("abc", Some(Current)),
            (longest_current.as_str(), Some(Current)),
            ("Old_Trail_Logs", Some(Legacy)),
            ("UPPER", Some(Legacy)),
            ("ends-with-dash-", Some(Legacy)),
            (first_legacy.as_str(), Some(Legacy)),
            (longest_legacy.as_str(), Some(Legacy)),
            (too_long.as_str(), None),
            ("ab", None),
            ("", None),
            ("...", None),
            ("..x", None),
            ("-x-", None),
            ("_x_", None),
            ("a/b", None),
            ("a b", None),
            ("a%2fb", None),
            ("a?b", None),
            ("caf\u{e9}", None),
        ] {
            assert_eq!(bucket_name(name), rules, "{name:?}");
        }
    }

    #[test]
    fn a_prefix_is_read_at_every_level() {
        let root = Scope::parse("").unwrap();
        assert_eq!(root.base, "AWSLogs/");
        assert_eq!(
            Scope::parse("trail-prefix/").unwrap().base,
            "trail-prefix/AWSLogs/"
        );
        assert_eq!(Scope::parse("AWSLogs").unwrap().base, "AWSLogs/");
        // A trail prefix with an `AWSLogs` folder of its own (an archive copied
        // into another trail's bucket): the last one is the layout's.
        let nested = Scope::parse(&format!("AWSLogs/old/AWSLogs/{A}/")).unwrap();
        assert_eq!(
            (nested.base.as_str(), nested.account.as_deref()),
            ("AWSLogs/old/AWSLogs/", Some(A))
        );
        let org = Scope::parse(&format!("AWSLogs/{ORG}/")).unwrap();
        assert_eq!((org.org.as_deref(), org.account), (Some(ORG), None));
        let acct = Scope::parse(&format!("p/AWSLogs/{A}")).unwrap();
        assert_eq!(
            (acct.base.as_str(), acct.account.as_deref()),
            ("p/AWSLogs/", Some(A))
        );
        let day = Scope::parse(&format!(
            "AWSLogs/{ORG}/{A}/CloudTrail/us-east-1/2026/01/05/"
        ))
        .unwrap();
        assert_eq!(day.region.as_deref(), Some("us-east-1"));
        assert_eq!(day.date, vec![2026, 1, 5]);
        for bad in [
            "AWSLogs/1111/",
            "AWSLogs/111111111111/CloudTrail-Digest/",
            "AWSLogs/111111111111/CloudTrail/US/",
            "AWSLogs/111111111111/CloudTrail/us-east-1/26/",
            "AWSLogs/111111111111/CloudTrail/us-east-1/2026/13/",
            "AWSLogs/111111111111/CloudTrail/us-east-1/2026/02/31/",
            "AWSLogs/111111111111/CloudTrail/us-east-1/2025/02/29/",
            "AWSLogs/111111111111/CloudTrail/us-east-1/2026/01/05/file.json.gz",
            "AWSLogs/o-abcde12345/o-abcde12345/",
        ] {
            assert!(Scope::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_of_both_layouts_are_read_back() {
        let k = LogKey::parse(&format!(
            "AWSLogs/{ORG}/{A}/CloudTrail/eu-west-1/2026/01/06/{A}_CloudTrail_eu-west-1_20260106T0005Z_x1.json.gz"
        ))
        .unwrap();
        assert_eq!(k.org.as_deref(), Some(ORG));
        assert_eq!((k.account.as_str(), k.region.as_str()), (A, "eu-west-1"));
        assert_eq!(k.day, day("2026-01-06"));
        assert_eq!(k.minute, Some(ms("2026-01-06T00:05:00Z")));
        let plain = LogKey::parse(&format!(
            "p/AWSLogs/{A}/CloudTrail/us-east-1/2026/01/06/odd-name.json.gz"
        ))
        .unwrap();
        assert_eq!((plain.org, plain.minute), (None, None));
        let nested = LogKey::parse(&format!(
            "AWSLogs/old/AWSLogs/{ORG}/{A}/CloudTrail/us-east-1/2026/01/06/AWSLogs"
        ))
        .unwrap();
        assert_eq!(
            (nested.org.as_deref(), nested.account.as_str()),
            (Some(ORG), A)
        );
        // A name's time stamp may hold any character: no minute, no panic.
        for odd in ["202é010T0005Z", "2026010éT005Z", "20260106T00é5"] {
            let k = LogKey::parse(&format!(
                "AWSLogs/{A}/CloudTrail/us-east-1/2026/01/06/{A}_CloudTrail_us-east-1_{odd}_x.json.gz"
            ))
            .unwrap();
            assert_eq!(k.minute, None, "{odd}");
        }
        assert!(
            LogKey::parse(&format!(
                "AWSLogs/{A}/CloudTrail-Digest/us-east-1/2026/01/06/f"
            ))
            .is_none()
        );
    }

    #[test]
    fn known_accounts_regions_and_days_need_no_listing_but_the_org_level() {
        let filter = Filter {
            since: Some(ms("2026-01-05T10:00:00Z")),
            until: Some(parse_until("2026-01-05").unwrap()),
            accounts: strings(&[A]),
            regions: strings(&["us-east-1"]),
        };
        let plan = Plan::new(Scope::parse("").unwrap(), filter.clone(), today());
        assert_eq!(prefixes(&plan.start()), ["list AWSLogs/ AwsLogs"]);
        let found = strings(&[
            &format!("AWSLogs/{ORG}/"),
            &format!("AWSLogs/{B}/"),
            "AWSLogs/junk/",
        ]);
        // The org's account is written down; B is not asked for; junk is ignored.
        // Days: the 5th, and the 6th for the delivery grace after midnight; the 7th
        // only if the grace reached past it (it does not).
        assert_eq!(
            prefixes(&plan.expand("AWSLogs/", Level::AwsLogs, &found)),
            [
                format!("day AWSLogs/{ORG}/{A}/CloudTrail/us-east-1/2026/01/05/"),
                format!("day AWSLogs/{ORG}/{A}/CloudTrail/us-east-1/2026/01/06/"),
            ]
        );
        let org = Plan::new(
            Scope::parse(&format!("AWSLogs/{ORG}")).unwrap(),
            filter,
            today(),
        );
        assert_eq!(prefixes(&org.start()).len(), 2);
    }

    #[test]
    fn files_delivered_before_since_or_long_after_until_are_not_read() {
        let filter = Filter {
            since: Some(ms("2026-01-06T00:00:00Z")),
            until: Some(ms("2026-01-06T00:30:00Z")),
            ..Filter::default()
        };
        let plan = Plan::new(
            Scope::parse(&format!("AWSLogs/{A}/CloudTrail/us-east-1")).unwrap(),
            filter,
            today(),
        );
        assert_eq!(
            prefixes(&plan.start()),
            [format!("day AWSLogs/{A}/CloudTrail/us-east-1/2026/01/06/")]
        );
        let key = |stamp: &str| {
            format!(
                "AWSLogs/{A}/CloudTrail/us-east-1/2026/01/06/{A}_CloudTrail_us-east-1_{stamp}_x.json.gz"
            )
        };
        // Delivered at 23:59:xx: nothing in it is from the 6th.
        assert!(!plan.keep(&key("20260105T2359Z")));
        assert!(plan.keep(&key("20260106T0000Z")));
        assert!(plan.keep(&key("20260106T0125Z")));
        assert!(!plan.keep(&key("20260106T0130Z")));
        assert!(plan.keep(&format!(
            "AWSLogs/{A}/CloudTrail/us-east-1/2026/01/06/other.json"
        )));
        assert!(!plan.keep(&format!("AWSLogs/{A}/CloudTrail/us-east-1/2026/01/06/")));
        // From a review: what a local directory's replay skips, S3's skips too.
        for stray in [".DS_Store", "README", "upload.json.tmp"] {
            assert!(
                !plan.keep(&format!(
                    "AWSLogs/{A}/CloudTrail/us-east-1/2026/01/06/{stray}"
                )),
                "{stray}"
            );
        }
    }

    #[test]
    fn unknown_levels_are_listed_and_pruned_by_the_days() {
        let filter = Filter {
            until: Some(parse_until("2026-01-05").unwrap()),
            ..Filter::default()
        };
        let plan = Plan::new(
            Scope::parse(&format!("AWSLogs/{ORG}/")).unwrap(),
            filter,
            today(),
        );
        assert_eq!(
            prefixes(&plan.start()),
            [format!("list AWSLogs/{ORG}/ Org")]
        );
        let acct = format!("AWSLogs/{ORG}/{A}/");
        let ct = format!("{acct}CloudTrail/");
        assert_eq!(
            prefixes(&plan.expand(
                &format!("AWSLogs/{ORG}/"),
                Level::Org,
                std::slice::from_ref(&acct)
            )),
            [format!("list {ct} Regions")]
        );
        let r = format!("{ct}us-east-1/");
        assert_eq!(
            prefixes(&plan.expand(&ct, Level::Regions, &strings(&[&r, &format!("{ct}x/")]))),
            [format!("list {r} Years")]
        );
        let years = strings(&[
            &format!("{r}2025/"),
            &format!("{r}2026/"),
            &format!("{r}2027/"),
        ]);
        assert_eq!(plan.expand(&r, Level::Years, &years).len(), 2);
        let months = strings(&[&format!("{r}2026/01/"), &format!("{r}2026/02/")]);
        assert_eq!(
            prefixes(&plan.expand(&format!("{r}2026/"), Level::Months, &months)),
            [format!("list {r}2026/01/ Days")]
        );
        let days = strings(&[
            &format!("{r}2026/01/05/"),
            &format!("{r}2026/01/06/"),
            &format!("{r}2026/01/07/"),
        ]);
        // The 6th holds files delivered within the grace after the 5th ends.
        assert_eq!(
            plan.expand(&format!("{r}2026/01/"), Level::Days, &days),
            vec![
                Step::Day {
                    prefix: format!("{r}2026/01/05/"),
                    day: day("2026-01-05")
                },
                Step::Day {
                    prefix: format!("{r}2026/01/06/"),
                    day: day("2026-01-06")
                },
            ]
        );
    }

    #[test]
    fn an_account_outside_the_filter_plans_nothing() {
        let filter = Filter {
            accounts: strings(&[B]),
            ..Filter::default()
        };
        let plan = Plan::new(
            Scope::parse(&format!("AWSLogs/{A}/")).unwrap(),
            filter,
            today(),
        );
        assert!(plan.start().is_empty());
    }

    /// `--since` alone, or with a `--until` far ahead, plans up to today: from
    /// a review, 9999-12-31 planned millions of day folders (3.8 s and 507 MB
    /// before the first request).
    #[test]
    fn since_alone_or_until_far_ahead_reads_up_to_today() {
        for until in [None, Some(parse_until("9999-12-31").unwrap())] {
            let filter = Filter {
                since: Some(ms("2026-01-05T00:00:00Z")),
                until,
                regions: strings(&["us-east-1"]),
                ..Filter::default()
            };
            let plan = Plan::new(
                Scope::parse(&format!("AWSLogs/{A}/")).unwrap(),
                filter,
                ms("2026-01-06T12:00:00Z"),
            );
            // The 5th and the 6th (today).
            assert_eq!(plan.start().len(), 2, "until {until:?}");
        }
    }

    /// From a review: a range longer than a month is listed, pruned by its
    /// days, not planned day by day (`--since 0000-01-01` planned 740,000
    /// days per Region, held before the first request).
    #[test]
    fn a_long_range_is_listed_not_planned_day_by_day() {
        let plan = |since: &str| {
            let filter = Filter {
                since: Some(parse_since(since).unwrap()),
                regions: strings(&["us-east-1"]),
                ..Filter::default()
            };
            Plan::new(
                Scope::parse(&format!("AWSLogs/{A}/")).unwrap(),
                filter,
                today(),
            )
        };
        let month = plan("2026-11-05");
        assert_eq!(month.start().len(), MAX_NAMED_DAYS as usize, "written down");
        let long = plan("0000-01-01");
        assert_eq!(
            prefixes(&long.start()),
            [format!("list AWSLogs/{A}/CloudTrail/us-east-1/ Years")]
        );
        let recent = plan("2026-01-05");
        let trail = format!("AWSLogs/{A}/CloudTrail/us-east-1/");
        let years = recent.expand(
            &trail,
            Level::Years,
            &strings(&[&format!("{trail}2025/"), &format!("{trail}2026/")]),
        );
        assert_eq!(prefixes(&years), [format!("list {trail}2026/ Months")]);
    }

    #[test]
    fn records_are_filtered_by_time_account_and_region() {
        let f = Filter {
            since: Some(ms("2026-01-05T00:00:00Z")),
            until: Some(ms("2026-01-06T00:00:00Z")),
            accounts: strings(&[A]),
            regions: strings(&["us-east-1"]),
        };
        let t = ms("2026-01-05T23:59:59.999Z");
        assert!(f.admits(Some(t), Some(A), Some("us-east-1")));
        assert!(!f.admits(Some(t + 1), Some(A), Some("us-east-1")));
        assert!(!f.admits(Some(ms("2026-01-04T23:59:59Z")), Some(A), Some("us-east-1")));
        assert!(!f.admits(None, Some(A), Some("us-east-1")));
        assert!(!f.admits(Some(t), Some(B), Some("us-east-1")));
        assert!(!f.admits(Some(t), Some(A), None));
        assert!(Filter::default().admits(None, None, None));
    }

    #[test]
    fn a_day_is_read_in_delivery_order_then_key_order() {
        let k = |acct: &str, stamp: &str| {
            format!(
                "AWSLogs/{ORG}/{acct}/CloudTrail/us-east-1/2026/01/05/{acct}_CloudTrail_us-east-1_{stamp}_x.json.gz"
            )
        };
        let mut keys = vec![
            k(A, "20260105T1010Z"),
            k(B, "20260105T1005Z"),
            k(A, "20260105T1005Z"),
        ];
        sort_day(&mut keys);
        assert_eq!(
            keys,
            vec![
                k(A, "20260105T1005Z"),
                k(B, "20260105T1005Z"),
                k(A, "20260105T1010Z")
            ]
        );
    }

    /// From a review: a year PREFIX over more than 31 days listed the Region
    /// folder above it, which a policy narrowed to the PREFIX refuses; the
    /// listing starts at the PREFIX's own folder.
    #[test]
    fn a_long_range_under_a_date_prefix_lists_nothing_above_it() {
        let r = format!("AWSLogs/{ORG}/{A}/CloudTrail/us-east-1/");
        let plan =
            |prefix: &str| Plan::new(Scope::parse(prefix).unwrap(), Filter::default(), today());
        assert_eq!(
            prefixes(&plan(&format!("{r}2026/")).start()),
            [format!("list {r}2026/ Months")]
        );
        assert_eq!(prefixes(&plan(&r).start()), [format!("list {r} Years")]);
        // A month is at most 31 days: its days are written down.
        assert_eq!(plan(&format!("{r}2025/12/")).start().len(), 31);
    }

    /// From a review: a date PREFIX cuts off its last day's late deliveries,
    /// which sit in the next day's folder; the plan names that folder when
    /// the range asked reaches past the PREFIX, and only then.
    #[test]
    fn late_deliveries_outside_a_date_prefix_are_named() {
        let r = format!("AWSLogs/{ORG}/{A}/CloudTrail/us-east-1/");
        let plan = |prefix: &str, until: Option<&str>| {
            let filter = Filter {
                until: until.map(|u| parse_until(u).unwrap()),
                ..Filter::default()
            };
            Plan::new(Scope::parse(prefix).unwrap(), filter, today())
        };
        let month = format!("{r}2025/12/");
        assert_eq!(
            plan(&month, Some("2025-12-31"))
                .late_deliveries_outside()
                .as_deref(),
            Some("2026/01/01")
        );
        assert_eq!(
            plan(&month, None).late_deliveries_outside().as_deref(),
            Some("2026/01/01")
        );
        // The range ends before the PREFIX's last hour; no date PREFIX; the
        // PREFIX's last day is today.
        assert_eq!(
            plan(&month, Some("2025-12-30")).late_deliveries_outside(),
            None
        );
        assert_eq!(plan(&r, None).late_deliveries_outside(), None);
        assert_eq!(
            plan(&format!("{r}2026/12/05/"), None).late_deliveries_outside(),
            None
        );
    }
}
