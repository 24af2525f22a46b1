//! What a replay says on stderr when it ends: the findings per detection (or,
//! with a tuning file, its dispositions and entries), the totals, what was left
//! out and why, and the warnings that a clean-looking run must not hide.

use trailwatch::archive::layout::Filter;
use trailwatch::engine::Engine;
use trailwatch::event::reader;
use trailwatch::sanitize::one_line;

use super::{Args, Counts};

/// What the end of a replay knows.
pub(super) struct Ending<'a> {
    pub args: &'a Args,
    pub engine: &'a Engine,
    pub counts: &'a Counts,
    pub filter: &'a Filter,
    pub skipped_by_name: &'a reader::LeftOut,
    /// For an `s3://` replay: files and bytes downloaded, list requests.
    pub s3: Option<(usize, u64, u64)>,
    pub secs: f64,
    /// `--accounts` and `--regions` values that matched no record read.
    pub filter_warnings: Vec<String>,
}

/// Says the summary (unless `--quiet`) and the warnings (always).
pub(super) fn report(e: &Ending<'_>) {
    let (args, engine, c, filter, skipped_by_name) =
        (e.args, e.engine, e.counts, e.filter, e.skipped_by_name);
    if !args.quiet {
        // Per detection first, the totals last: with many detections firing,
        // the totals stay on screen.
        if args.tuning.is_none() {
            for (id, n) in &c.findings {
                say!("  {n:>6}  {id}");
            }
        } else {
            say!("  notified suppressed  shadow held-back  detection");
            for (id, [n, s, sh, h]) in &c.dispositions {
                say!("  {n:>8} {s:>10} {sh:>7} {h:>9}  {id}");
            }
            // Every entry, those that matched nothing too: the impact preview.
            for e in engine.tuning().iter().flat_map(|t| t.entries().to_vec()) {
                let n = c.entries.get(&e.id).copied().unwrap_or(0);
                let dry = if e.dry_run { " (dry run)" } else { "" };
                say!("  entry {}{dry}: {n} finding(s)", e.id);
            }
            // What the file switched off reports nothing above: say so, or an
            // empty table reads as nothing to find (from a first-hour review).
            let off: Vec<String> = engine
                .tuning()
                .iter()
                .flat_map(|t| t.off().map(str::to_owned).collect::<Vec<_>>())
                .collect();
            if !off.is_empty() {
                say!("  off by the tuning (not run): {}", off.join(", "));
            }
        }
        let secs = e.secs;
        let total: u64 = c.findings.values().sum();
        say!(
            "trailwatch: {} records read, {} rejected, {} not CloudTrail, {} findings in {:.3}s ({:.0} records/s)",
            c.records,
            c.rejected,
            c.not_cloudtrail,
            total,
            secs,
            c.records as f64 / secs.max(1e-9)
        );
        if let Some(level) = args.min_severity {
            say!(
                "  {} findings below {} not shown (--min-severity)",
                c.below_min_severity,
                trailwatch::detection::Severity::from(level).as_str()
            );
        }
        if !filter.is_empty() {
            say!(
                "  {} records outside --since/--until/--accounts/--regions (of those a detection \
                 read: records no detection takes are not looked at; --strict reads all)",
                c.outside
            );
        }
        if c.unplaced > 0 {
            say!(
                "  {} records without a readable eventTime that windowed or correlated detections could not count",
                c.unplaced
            );
        }
        // From a new user's review: what `--learn` kept from being reported.
        if args.learn.is_some() {
            say!(
                "  {} first-seen sightings learnt, not reported (--learn {})",
                engine.learned(),
                args.learn.unwrap_or_default()
            );
        }
        if let (n @ 1.., Some(first)) = (skipped_by_name.by_name, &skipped_by_name.first_by_name) {
            say!(
                "  {n} file(s) in the directories read skipped by name (not {} or a Firehose \
                 object's name), e.g. {}",
                reader::INPUT_EXTENSIONS.join(", "),
                one_line(&first.display().to_string(), 500)
            );
        }
        if let Some(first) = skipped_by_name.symlinked_dirs.first() {
            say!(
                "  {} symbolic link(s) to directories, or broken, not followed, e.g. {} (name the target to read it)",
                skipped_by_name.symlinked_dirs.len(),
                one_line(&first.display().to_string(), 500)
            );
        }
        if let Some((files_done, bytes, s3_requests)) = e.s3 {
            say!(
                "  S3: {} files, {:.1} MB downloaded, {s3_requests} list requests",
                files_done,
                bytes as f64 / 1e6
            );
        }
    }
    // Said even with --quiet: a replay of another deployment's archive under
    // the default prefix reports neither its silences nor its tampering.
    if let (n @ 1.., Some(first)) = (c.foreign_canaries, &c.first_foreign_canary) {
        say!(
            "trailwatch: {n} canary record(s) (the first on {first:?}) do not start with the \
             resource prefix {:?}: not taken as canaries, and trailwatch-tampering takes only \
             resources under that prefix; pass --resource-prefix <the stack's name>",
            trailwatch::resources::prefix()
        );
    }
    // Said even with --quiet, as the canaries above: a replay that checked
    // nothing of what was asked for otherwise ends as a clean one does.
    if c.nothing_was_cloudtrail() {
        say!(
            "trailwatch: warning: no CloudTrail record was read: {} value(s) read are not \
             CloudTrail (the first at {}); nothing was checked{}",
            c.not_cloudtrail,
            c.first_not_cloudtrail.as_deref().unwrap_or("?"),
            if args.strict {
                " (--strict: exit 1)"
            } else {
                ""
            }
        );
    }
    if c.records > 0 {
        for warning in &e.filter_warnings {
            say!("trailwatch: warning: {warning}");
        }
    }
}
