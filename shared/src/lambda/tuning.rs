//! The functions' tuning: read from `TRAILWATCH_TUNING` (a local path, or
//! `s3://BUCKET/KEY`) at start-up and re-read at most every
//! [`RECHECK_SECS`] with a cheap conditional read (file size and modification
//! time; S3 `If-None-Match` with the last ETag).
//!
//! Fail-safe: a file that cannot be read or is invalid never silences anything.
//! The last good tuning stays in force; at a cold start with none, the function
//! runs untuned. Every failure is logged as an error and counted with the EMF
//! metric `TuningErrors`, so that an alarm can say the tuning is not applied; a
//! file put in force with warnings (which `tuning check --strict` refuses) is
//! counted with `TuningWarnings`.

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use tokio::sync::Mutex;
use tracing::{error, info, warn};

use crate::engine::Engine;
use crate::tuning::location::{self, Fetched, Location};
use crate::tuning::{Tuning, day_of};

use super::logs::{emit_tuning_error, emit_tuning_warnings};

/// At most one read of the tuning's location per this many seconds.
pub const RECHECK_SECS: i64 = 60;

/// Where the tuning is and what was last read from it.
pub struct TuningSource {
    location: Location,
    s3: Option<crate::aws::s3::S3Client>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// When the location was last read (epoch seconds).
    checked_at: Option<i64>,
    /// The version last read (S3 ETag; file size and mtime): unchanged means no
    /// parsing. Kept only for a good file, so a bad one is reported on every read.
    version: Option<String>,
    /// The day (days since the epoch, UTC) whose expiries were last logged.
    expiries_logged: Option<i64>,
}

/// What a refresh did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refresh {
    /// Not yet time to look, or the file did not change.
    Unchanged,
    /// A new good tuning is in force (its digest).
    Loaded(String),
    /// The read or the validation failed; the previous tuning (if any) stays.
    Failed(String),
}

impl TuningSource {
    /// `s3` is needed for an S3 location.
    pub fn new(location: Location, s3: Option<crate::aws::s3::S3Client>) -> TuningSource {
        TuningSource {
            location,
            s3,
            state: Mutex::new(State::default()),
        }
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Reads the location if `force` or [`RECHECK_SECS`] have passed, and puts a
    /// new good tuning in force on `engine`. `now`: epoch seconds.
    pub async fn refresh(&self, engine: &Engine, function: &str, now: i64, force: bool) -> Refresh {
        let mut state = self.state.lock().await;
        self.log_expiries(engine, function, day_of(now), &mut state);
        if !force
            && state
                .checked_at
                .is_some_and(|t| now - t < RECHECK_SECS && now >= t)
        {
            return Refresh::Unchanged;
        }
        state.checked_at = Some(now);
        let read = self.read(state.version.as_deref()).await;
        let (text, version) = match read {
            Ok(None) => {
                // Told on every read, as a refused file is: the alarm stays in
                // ALARM while such a file is in force, rather than raising anew
                // at each cold start.
                if let Some(t) = engine.tuning() {
                    count_weakening_warnings(function, &t);
                }
                return Refresh::Unchanged;
            }
            Ok(Some(found)) => found,
            Err(e) => return self.failed(engine, function, e),
        };
        match Tuning::parse(&text, &self.location.to_string(), day_of(now)) {
            Ok(t) => {
                for w in &t.warnings {
                    warn!(function, tuning = %self.location, warning = %w, "tuning warning");
                }
                count_weakening_warnings(function, &t);
                for n in &t.notes {
                    info!(function, tuning = %self.location, note = %n, "tuning note");
                }
                let digest = t.digest.clone();
                info!(
                    function,
                    tuning = %self.location,
                    digest,
                    entries = t.entries().len(),
                    "tuning loaded"
                );
                engine.set_tuning(Some(Arc::new(t)));
                state.version = version;
                Refresh::Loaded(digest)
            }
            Err(problems) => {
                state.version = None;
                let errors: Vec<String> = problems
                    .iter()
                    .filter(|p| p.is_error())
                    .map(|p| crate::sanitize::one_line(&p.to_string(), 500))
                    .collect();
                self.failed(
                    engine,
                    function,
                    format!("invalid tuning file: {}", errors.join("; ")),
                )
            }
        }
    }

    /// Once a day, what the tuning in force says of its expiries on `today`: an
    /// entry that lapsed since the file was read (it no longer applies) and one
    /// about to. Without it, a file S3 answers "unchanged" for months would log
    /// its entries' lapse nowhere.
    /// The number of entries it logged.
    fn log_expiries(
        &self,
        engine: &Engine,
        function: &str,
        today: i64,
        state: &mut State,
    ) -> usize {
        if state.expiries_logged == Some(today) {
            return 0;
        }
        state.expiries_logged = Some(today);
        let Some(t) = engine.tuning() else {
            return 0;
        };
        let mut logged = 0;
        for e in t.entries() {
            let left = e.expires_day - today;
            if left < 0 {
                warn!(function, tuning = %self.location, entry = e.id.as_str(), expires = e.expires.as_str(),
                      "tuning entry expired: it no longer applies");
            } else if left < crate::tuning::EXPIRY_WARNING_DAYS {
                warn!(function, tuning = %self.location, entry = e.id.as_str(), expires = e.expires.as_str(), days_left = left,
                      "tuning entry expires soon");
            } else {
                continue;
            }
            logged += 1;
        }
        logged
    }

    fn failed(&self, engine: &Engine, function: &str, reason: String) -> Refresh {
        let kept = engine.tuning().map(|t| t.digest.clone());
        error!(
            function,
            tuning = %self.location,
            error = %crate::sanitize::one_line(&reason, 4000),
            kept = kept.as_deref().unwrap_or("none (untuned)"),
            "tuning not applied; the last good tuning stays in force"
        );
        emit_tuning_error(function);
        Refresh::Failed(reason)
    }

    /// `Ok(None)`: unchanged since `version`.
    async fn read(
        &self,
        version: Option<&str>,
    ) -> Result<Option<(String, Option<String>)>, String> {
        match &self.location {
            Location::Local(path) => {
                let meta =
                    std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
                let mtime = meta
                    .modified()
                    .ok()
                    .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                let v = format!("{}:{mtime}", meta.len());
                if version == Some(v.as_str()) {
                    return Ok(None);
                }
                if meta.len() > location::MAX_TUNING_BYTES {
                    return Err(format!(
                        "{}: larger than {} bytes",
                        path.display(),
                        location::MAX_TUNING_BYTES
                    ));
                }
                let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
                let text = crate::tuning::text_from_bytes(bytes, &path.display().to_string())?;
                Ok(Some((text, Some(v))))
            }
            Location::S3 { bucket, key, owner } => {
                let Some(client) = &self.s3 else {
                    return Err("no S3 client for an S3 tuning location".into());
                };
                match location::get_s3(client, bucket, key, owner.as_deref(), version).await? {
                    Fetched::NotModified => Ok(None),
                    Fetched::Body { text, etag } => Ok(Some((text, etag))),
                }
            }
        }
    }
}

/// Emits `TuningWarnings` for the warnings of `t` that weaken a detection (not
/// an entry's expiry), when it has any.
fn count_weakening_warnings(function: &str, t: &Tuning) {
    let weakening = t.warnings.iter().filter(|w| !w.about_expiry).count();
    if weakening > 0 {
        emit_tuning_warnings(function, weakening);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lambda::tests::block_on;

    const GOOD: &str = "[detections.cloudtrail-log-created]\nmode = \"off\"\n";

    #[test]
    fn a_local_file_is_reread_at_most_every_minute_and_failures_keep_the_last_good_one() {
        let dir = std::env::temp_dir().join(format!("trailwatch-tuning-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tuning.toml");
        std::fs::write(&path, GOOD).unwrap();
        let engine = Engine::new(crate::engine::Settings::default());
        let src = TuningSource::new(Location::Local(path.clone()), None);
        let t0 = 1_800_000_000;
        let r = block_on(src.refresh(&engine, "f", t0, false));
        assert!(matches!(r, Refresh::Loaded(_)), "{r:?}");
        let good = engine.tuning().unwrap().digest.clone();
        // Unchanged, and then not looked at within the minute.
        assert_eq!(
            block_on(src.refresh(&engine, "f", t0 + 60, false)),
            Refresh::Unchanged
        );
        std::fs::write(&path, "[detections.nope]\n").unwrap();
        assert_eq!(
            block_on(src.refresh(&engine, "f", t0 + 90, false)),
            Refresh::Unchanged
        );
        // Invalid, too large, missing: refused, the last good one stays.
        let r = block_on(src.refresh(&engine, "f", t0 + 121, false));
        assert!(
            matches!(&r, Refresh::Failed(e) if e.contains("unknown detection id")),
            "{r:?}"
        );
        // Not UTF-8: located as the CLI locates it (line 2, column 13).
        std::fs::write(&path, b"# tuning\n# owner: Ren\xe9e\n").unwrap();
        let r = block_on(src.refresh(&engine, "f", t0 + 150, true));
        assert!(
            matches!(&r, Refresh::Failed(e) if e.ends_with("tuning.toml:2:13: not UTF-8 text (byte 0xE9): save the file as UTF-8")),
            "{r:?}"
        );
        std::fs::write(&path, " ".repeat(location::MAX_TUNING_BYTES as usize + 1)).unwrap();
        let r = block_on(src.refresh(&engine, "f", t0 + 200, true));
        assert!(
            matches!(&r, Refresh::Failed(e) if e.contains("larger than")),
            "{r:?}"
        );
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(
            block_on(src.refresh(&engine, "f", t0 + 300, true)),
            Refresh::Failed(_)
        ));
        assert_eq!(engine.tuning().unwrap().digest, good);
        std::fs::remove_dir_all(&dir).ok();
    }

    /// From a review: an entry that lapses while S3 keeps answering "unchanged"
    /// is logged on the day it lapses (and daily after), not only when the file
    /// is read again.
    #[test]
    fn expiries_are_logged_once_a_day_without_a_new_file() {
        let engine = Engine::new(crate::engine::Settings::default());
        let text = r#"
[[suppress]]
id = "short"
detections = ["cloudtrail-log-created"]
reason = "r"
owner = "o"
expires = "2027-01-10"
[suppress.match]
"recipientAccountId" = "111122223333"
"#;
        let day = |d: &str| crate::tuning::parse_day(d).unwrap();
        engine.set_tuning(Some(Arc::new(
            Tuning::parse(text, "t", day("2026-12-01")).unwrap(),
        )));
        let src = TuningSource::new(Location::Local("/nonexistent".into()), None);
        let mut state = State::default();
        assert_eq!(
            src.log_expiries(&engine, "f", day("2026-12-01"), &mut state),
            0
        );
        assert_eq!(
            src.log_expiries(&engine, "f", day("2027-01-01"), &mut state),
            1,
            "expires soon"
        );
        assert_eq!(
            src.log_expiries(&engine, "f", day("2027-01-01"), &mut state),
            0,
            "once a day"
        );
        assert_eq!(
            src.log_expiries(&engine, "f", day("2027-01-11"), &mut state),
            1,
            "expired"
        );
    }
}
