//! `trailwatch replay s3://BUCKET/PREFIX`: the archive reader of the library
//! (`archive::s3`) fed into the replay's sink. Objects download and decode on a
//! runtime of their own; the engine sees them on this thread, in key order.

use std::sync::Arc;

use trailwatch::archive::layout::Filter;
use trailwatch::engine::Engine;
use trailwatch::event::reader::Limits;
use trailwatch::state::Store;

use super::Replay;

/// The engine's prefilter, shared with the decoding threads.
pub type Prefilter = Arc<dyn Fn(&[u8]) -> bool + Send + Sync>;

/// One s3:// input.
#[cfg_attr(not(feature = "aws-chain"), allow(dead_code))]
pub struct Source<'a> {
    pub bucket: &'a str,
    /// `--expected-bucket-owner`.
    pub expected_owner: Option<&'a str>,
    pub prefix: &'a str,
    pub filter: &'a Filter,
    pub limits: &'a Limits,
    /// Objects decoded at once.
    pub threads: usize,
    pub prefilter: Prefilter,
    /// Runs the detections' stateless half on the decoding threads.
    pub engine: Arc<Engine>,
}

/// Reads the archive into `replay`; the number of list requests made, or why the
/// archive could not be read (no bucket, no credentials, a PREFIX outside the
/// layout).
#[cfg(feature = "aws-chain")]
pub fn read<S: Store>(src: &Source<'_>, replay: &mut Replay<'_, S>) -> Result<u64, String> {
    use trailwatch::archive::layout::{Plan, Scope};
    use trailwatch::archive::recorded::Recorded;
    use trailwatch::archive::s3::{self, Decode, Delivery, Options};
    use trailwatch::event::ahead::Ahead;
    use trailwatch::event::reader::Sink;

    let scope = Scope::parse(src.prefix)?;
    let now_ms = trailwatch::render::now_ms();
    let plan = Plan::new(scope, src.filter.clone(), now_ms);
    let at = format!(
        "s3://{}/{}",
        src.bucket,
        trailwatch::sanitize::one_line(src.prefix, 300)
    );
    if let Some(next) = plan.late_deliveries_outside() {
        // Said even with --quiet: records inside the range are not read.
        say!(
            "trailwatch: {at}: the PREFIX ends with a date folder, and its last day's late \
             records are delivered under the next day's folder ({next}/), outside it: they are \
             not read. Name the Region folder (with --since/--until) to read them"
        );
    }
    let threads = src.threads.max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the S3 runtime: {e}"))?;
    let client = rt.block_on(s3::client())?;
    let (bucket, limits, keep) = (src.bucket.to_owned(), *src.limits, src.prefilter.clone());
    // Records are parsed on the decoding threads too, and with more than one
    // of them also prepared there: the engine's thread then only does what needs
    // the state. One decoding thread already has inflating and parsing to do, so
    // the engine's thread prepares (see `preparing` for what becomes of the
    // record).
    let engine = Arc::clone(&src.engine);
    let filter = src.filter.clone();
    let decode: Decode<Recorded> = Arc::new(move |key: &str, bytes: Vec<u8>| {
        let ahead = if threads > 1 {
            super::sink::preparing(&engine, &filter)
        } else {
            Ahead::Parse
        };
        Recorded::read(
            &format!("s3://{bucket}/{key}"),
            &bytes,
            &limits,
            &*keep,
            ahead,
        )
    });
    let options = Options {
        // Enough downloads to hide S3's latency, enough objects waiting for the
        // engine to keep every decoding thread busy.
        max_objects: (4 * threads).max(16),
        max_object_bytes: limits.max_file_bytes,
        ..Options::default()
    };
    let mut reader = s3::start(
        rt.handle(),
        client,
        s3::Bucket {
            name: src.bucket.to_owned(),
            expected_owner: src.expected_owner.map(str::to_owned),
        },
        plan,
        options,
        decode,
    );
    // Folders that could not be listed, and objects read or not: a range
    // left unread is not a quiet one (from a review).
    let (mut unlisted, mut objects_read, mut objects_unread) = (0u64, 0u64, 0u64);
    while let Some(delivery) = reader.next_blocking() {
        match delivery {
            Delivery::Object {
                key,
                size,
                outcome,
                permit,
            } => {
                let name = format!("s3://{}/{key}", src.bucket);
                replay.progress.bytes += size;
                match outcome {
                    Ok(found) => {
                        objects_read += 1;
                        if found.replay(replay) {
                            break;
                        }
                        replay.file_done(&name);
                    }
                    Err(e) => {
                        objects_unread += 1;
                        replay.unreadable(&std::io::Error::other(format!("{name}: {e}")))
                    }
                }
                drop(permit);
            }
            Delivery::Unlisted { cause, .. } => {
                unlisted += 1;
                replay.unreadable(&std::io::Error::other(cause));
            }
            Delivery::Lost { cause, .. } => {
                objects_unread += 1;
                let text = format!("s3://{}/{cause}", src.bucket);
                replay.unreadable(&std::io::Error::other(text));
            }
        }
        if replay.fatal.is_some() {
            break;
        }
    }
    let walked = reader.finish();
    // Downloads still in flight after a stop are abandoned, not awaited.
    rt.shutdown_background();
    if walked.is_ok() && replay.fatal.is_none() && objects_read == 0 && objects_unread > 0 {
        say!(
            "trailwatch: {at}: none of the {objects_unread} log file(s) found could be read \
             (named above): check s3:GetObject on the bucket and kms:Decrypt on the trail's \
             key, or restore the objects a lifecycle rule archived (InvalidObjectState)"
        );
    }
    if let Ok(w) = &walked
        && w.keys_listed == 0
        && replay.fatal.is_none()
    {
        if unlisted > 0 {
            say!(
                "trailwatch: {at}: no log file found, but {unlisted} folder(s) could not be \
                 listed (named above): the days, accounts and Regions asked were not all read"
            );
        } else if w.folder_listings > 0 && w.folders_found == 0 {
            // Nothing under the PREFIX at all: mistyped (counted as rejected,
            // so `--strict` fails; from a review).
            replay.unreadable(&std::io::Error::other(format!(
                "{at}: nothing under it (is the PREFIX the trail's, above AWSLogs/?)"
            )));
        } else if !replay.quiet {
            // A quiet range, or one after the last delivery: said, not an error.
            say!("trailwatch: {at}: no log file for the days, accounts and Regions asked");
        }
    }
    walked.map(|w| w.list_requests)
}

#[cfg(not(feature = "aws-chain"))]
pub fn read<S: Store>(_src: &Source<'_>, _replay: &mut Replay<'_, S>) -> Result<u64, String> {
    Err("s3:// inputs: this build of trailwatch has no AWS support (feature `aws-chain`)".into())
}
