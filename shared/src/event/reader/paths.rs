//! Which input files a replay reads, and in which order: directories walked,
//! CloudTrail log files put in the order an `s3://` replay reads a bucket.

use std::io;
use std::path::{Path, PathBuf};

/// Input files named on the command line, expanded: directories are walked
/// recursively (sorted, `.json`, `.jsonl`, `.ndjson`, `.gz` and `.gzip` files,
/// and Firehose's objects without an extension: `is_firehose_object_name`);
/// files named explicitly are taken whatever their extension. CloudTrail log
/// files (a copy of a trail's bucket, or its files named one by one) come in
/// the order an `s3://` replay reads them, across all the paths given: see
/// `archive_order`. Named a Region at a time (`us-east-1/* eu-west-1/*`), a
/// caller's records would otherwise reach the windows a Region at a time.
pub fn expand_paths(paths: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    expand_paths_noting(paths, &mut LeftOut::default())
}

/// What a directory walk did not take, for the caller to say so.
#[derive(Debug, Default)]
pub struct LeftOut {
    /// Files that look like logs compressed in a form the reader does not take
    /// (`is_unread_compressed_name`).
    pub compressed: Vec<PathBuf>,
    /// Files whose names are not taken as input (`b.log`, `e.json.bak`): how
    /// many, and the first in walk order. Only counted: a trail's bucket may
    /// hold any number of them.
    pub by_name: u64,
    pub first_by_name: Option<PathBuf>,
    /// Symbolic links to directories, or broken ones, met in a walk: not followed.
    pub symlinked_dirs: Vec<PathBuf>,
}

/// Files a walk skips without counting them: JSON with comments (`*.jsonc`,
/// this project's own `events/*/expected.jsonc` among them), which no AWS
/// service writes, so that replaying `events/` does not end on a line that
/// reads like a problem (from a review).
fn unlisted_name(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonc"))
}

impl LeftOut {
    fn skipped_by_name(&mut self, path: PathBuf) {
        self.by_name += 1;
        self.first_by_name.get_or_insert(path);
    }
}

/// [`expand_paths`], adding to `left_out` the files of the directories walked
/// that it does not take.
pub fn expand_paths_noting(paths: &[PathBuf], left_out: &mut LeftOut) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(p.clone());
            continue;
        }
        let meta = std::fs::metadata(p)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found, left_out)?;
            out.extend(found);
        } else {
            // A named file that cannot be opened is refused before anything is
            // read, as a missing one is. Not a named pipe: opening it would wait
            // for its writer (it is read when its turn comes).
            #[cfg(unix)]
            let fifo = std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type());
            #[cfg(not(unix))]
            let fifo = false;
            if !fifo {
                std::fs::File::open(p)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?;
            }
            out.push(p.clone());
        }
    }
    archive_order(&mut out);
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, left_out: &mut LeftOut) -> io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?
        .collect::<Result<Vec<_>, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let kind = e.file_type()?;
        if kind.is_dir() {
            if !trail_side_folder(&path) {
                walk(&path, out, left_out)?;
            }
        } else if is_input_name(&path) {
            // A named pipe or device with an input's name is left alone, not
            // counted as skipped by name.
            if regular_file(&path, kind) {
                out.push(path);
            }
        } else if is_unread_compressed_name(&path.file_name().unwrap_or_default().to_string_lossy())
        {
            left_out.compressed.push(path);
        } else if kind.is_symlink() && !path.is_file() {
            // A link to a directory is not followed (it may lead back up the
            // tree), and a broken one leads nowhere: said apart, their names
            // are not what left them out (from two reviews).
            left_out.symlinked_dirs.push(path);
        } else if !unlisted_name(&path) {
            left_out.skipped_by_name(path);
        }
    }
    Ok(())
}

/// A trail's digest or Insights folder in a copy of its bucket
/// (`AWSLogs/.../CloudTrail-Digest/`, `CloudTrail-Insight/`): an `s3://`
/// replay never lists them, so a local copy skips them too and both count the
/// same (from a review: their files were read and counted as not CloudTrail).
/// Named on the command line, such a file is read as any file is.
fn trail_side_folder(dir: &Path) -> bool {
    let name = dir.file_name().and_then(|n| n.to_str());
    matches!(name, Some("CloudTrail-Digest" | "CloudTrail-Insight"))
        && dir
            .ancestors()
            .any(|a| a.file_name().is_some_and(|n| n == "AWSLogs"))
}

/// Only regular files (or links to one) are read from a directory: opening a
/// named pipe or a device found there would wait for a writer forever. (A path
/// named on the command line is read whatever it is.) A link that leads nowhere
/// is taken, so that opening it fails and is reported as any file that cannot
/// be opened is (from a review: it was skipped without a word).
fn regular_file(path: &Path, kind: std::fs::FileType) -> bool {
    kind.is_file() || (kind.is_symlink() && std::fs::metadata(path).map_or(true, |m| m.is_file()))
}

/// Puts the CloudTrail log files among `files` in the order an `s3://` replay
/// reads a trail's bucket: day folder, then delivery minute in the file name,
/// then as given (a directory's files sorted by path). They take one another's
/// places; every other file, and stdin, keeps its place (a review of this
/// change: a later export named after the logs was read before them). Sorted
/// by path, a copy of the bucket would be read one account and Region after
/// another, each through every day: a caller's records would then reach the
/// windows up to a day out of time order, past the three hours the in-memory
/// state is sure to keep.
pub fn archive_order(files: &mut [PathBuf]) {
    let keys: Vec<Option<(i64, Option<i64>)>> = files
        .iter()
        .map(|p| {
            // Lossy: a log file under a directory whose name is not UTF-8 is
            // still known by its layout's part, which is.
            crate::archive::layout::LogKey::parse(&p.to_string_lossy()).map(|k| (k.day, k.minute))
        })
        .collect();
    let slots: Vec<usize> = (0..files.len()).filter(|&i| keys[i].is_some()).collect();
    let mut logs: Vec<(usize, PathBuf)> = slots
        .iter()
        .map(|&i| (i, std::mem::take(&mut files[i])))
        .collect();
    // Stable: ties keep the order given.
    logs.sort_by_key(|(i, _)| keys[*i]);
    for (slot, (_, path)) in slots.into_iter().zip(logs) {
        files[slot] = path;
    }
}

fn is_input_name(p: &Path) -> bool {
    let name = p.file_name().unwrap_or_default().to_string_lossy();
    is_input_file_name(&name) || is_firehose_object_name(&name)
}

/// An object as Firehose names it when its stream sets no file extension:
/// `<stream>-<version>-<YYYY>-<MM>-<DD>-<hh>-<mm>-<ss>-<uuid>`. A trail's log
/// group sent through a subscription to Firehose lands so, gzip without `.gz`
/// (CloudWatch Logs compresses it; Firehose adds the extension only when it
/// compresses). The reader knows gzip by its first bytes, whatever the name.
/// From a review: a copy of such a bucket was walked and nothing read, without
/// a word.
fn is_firehose_object_name(name: &str) -> bool {
    // Bytes, read from the end: a name may hold any character, and a cut
    // inside one must not panic.
    let pattern: &[u8] = b"-9999-99-99-99-99-99-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    let name = name.as_bytes();
    let Some((rest, tail)) = name
        .len()
        .checked_sub(pattern.len())
        .map(|at| name.split_at(at))
    else {
        return false;
    };
    let tail_ok = tail.iter().zip(pattern).all(|(b, p)| match p {
        b'9' => b.is_ascii_digit(),
        b'x' => b.is_ascii_hexdigit(),
        _ => b == p,
    });
    // `<stream>-<version>`: a version of digits after a stream name.
    let version = rest.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    let stream = &rest[..rest.len() - version];
    tail_ok && version > 0 && stream.len() > 1 && stream.ends_with(b"-")
}

/// Whether a file of a directory (or an S3 day folder) is read: its name ends
/// in `.json`, `.jsonl`, `.ndjson`, `.gz` or `.gzip`, in any letter case;
/// `.DS_Store`, notes and temporary files are not.
pub fn is_input_file_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    INPUT_EXTENSIONS.iter().any(|ext| name.ends_with(ext))
}

/// The name endings a directory walk takes (beside Firehose's object names).
pub const INPUT_EXTENSIONS: [&str; 5] = [".json", ".jsonl", ".ndjson", ".gz", ".gzip"];

/// A file name of logs compressed in a form the reader does not take (bzip2,
/// zstd, xz, zip): skipped in a directory, but said (from a review: they were
/// skipped without a word, and a replay seemed to have read everything).
pub fn is_unread_compressed_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [".bz2", ".zst", ".xz", ".zip"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory holding a copy of a trail's bucket is read day by day, then by
    /// delivery minute (across accounts and Regions), as `s3://` reads it; other
    /// files keep their places. A log file named on its own takes its place
    /// among the directory's (from a review: named a Region at a time, a
    /// caller's records reached the windows a Region at a time).
    #[test]
    fn a_copy_of_a_trails_bucket_is_read_in_delivery_order() {
        let root = std::env::temp_dir().join(format!("trailwatch-order-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let log = |account: &str, region: &str, day: &str, stamp: &str| {
            let dir = format!("AWSLogs/{account}/CloudTrail/{region}/2026/02/{day}");
            let name = format!("{account}_CloudTrail_{region}_202602{day}T{stamp}Z_x.json.gz");
            format!("{dir}/{name}")
        };
        let files = [
            log("111122223333", "ap-southeast-2", "25", "2350"),
            log("111122223333", "eu-west-1", "25", "1100"),
            log("111122223333", "us-east-1", "25", "1000"),
            log("111122223333", "us-east-1", "26", "0005"),
            log("444455556666", "eu-west-1", "25", "1000"),
            "AWSLogs/notes.jsonl".to_owned(),
            "extra/a.json".to_owned(),
        ];
        // Never read, as `s3://` never lists them.
        let skipped = [
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/02/25/d.json.gz",
            "AWSLogs/o-abc123/111122223333/CloudTrail-Insight/us-east-1/2026/02/25/i.json.gz",
        ];
        for f in skipped {
            let path = root.join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, b"").unwrap();
        }
        for f in &files {
            let path = root.join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, b"").unwrap();
        }
        let lone = root.join(&files[0]);
        let got: Vec<String> = expand_paths(&[root.clone(), lone])
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(&root).unwrap().to_str().unwrap().to_owned())
            .collect();
        // The other files keep their places (path order: AWSLogs/1111... <
        // AWSLogs/4444... < AWSLogs/notes.jsonl < extra/); the log files take
        // the other slots in delivery order.
        let want: Vec<&str> = [2, 4, 1, 0, 0, 5, 6, 3]
            .iter()
            .map(|&i| files[i].as_str())
            .collect();
        assert_eq!(got, want);
        std::fs::remove_dir_all(&root).unwrap();
    }

    /// A log file under a directory whose name is not UTF-8 still takes its
    /// place by day and minute.
    #[cfg(unix)]
    #[test]
    fn a_log_file_under_a_non_utf8_folder_is_ordered_too() {
        use std::os::unix::ffi::OsStrExt;
        let odd = std::ffi::OsStr::from_bytes(b"copy-\xff");
        let key = |day: &str, stamp: &str| {
            Path::new(odd).join(format!(
                "AWSLogs/111122223333/CloudTrail/us-east-1/2026/02/{day}/111122223333_CloudTrail_us-east-1_202602{day}T{stamp}Z_x.json.gz"
            ))
        };
        let (later, earlier) = (key("26", "0005"), key("25", "1000"));
        let mut files = vec![later.clone(), earlier.clone()];
        archive_order(&mut files);
        assert_eq!(files, [earlier, later]);
    }

    /// A named pipe in a directory is not opened (it would block the replay
    /// forever); a link to a file is read, and a dangling one is taken so that
    /// opening it is reported.
    #[cfg(unix)]
    #[test]
    fn a_directory_walk_takes_regular_files_only() {
        let root = std::env::temp_dir().join(format!("trailwatch-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("a.jsonl"), b"").unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(root.join("pipe.jsonl"))
            .status()
            .unwrap();
        assert!(made.success());
        std::os::unix::fs::symlink(root.join("a.jsonl"), root.join("b.jsonl")).unwrap();
        std::os::unix::fs::symlink(root.join("gone.jsonl"), root.join("c.jsonl")).unwrap();
        let got: Vec<String> = expand_paths(std::slice::from_ref(&root))
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(&root).unwrap().to_str().unwrap().to_owned())
            .collect();
        assert_eq!(got, ["a.jsonl", "b.jsonl", "c.jsonl"]);
        std::fs::remove_dir_all(&root).unwrap();
    }

    /// From a review: logs compressed in a form the reader does not take were
    /// skipped without a word; they are noted for the caller to say so. A
    /// `.gzip` name is read as gzip.
    #[test]
    fn compressed_files_the_reader_does_not_take_are_noted() {
        let root = std::env::temp_dir().join(format!("trailwatch-unread-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("sub")).unwrap();
        for name in [
            "a.json",
            "b.json.gzip",
            "c.json.bz2",
            "sub/d.JSON.ZST",
            "e.xz",
            "notes.txt",
        ] {
            std::fs::write(root.join(name), b"").unwrap();
        }
        let mut left_out = LeftOut::default();
        let name = |p: &PathBuf| p.strip_prefix(&root).unwrap().to_str().unwrap().to_owned();
        let got: Vec<String> = expand_paths_noting(std::slice::from_ref(&root), &mut left_out)
            .unwrap()
            .iter()
            .map(name)
            .collect();
        assert_eq!(got, ["a.json", "b.json.gzip"]);
        let noted: Vec<String> = left_out.compressed.iter().map(name).collect();
        assert_eq!(noted, ["c.json.bz2", "e.xz", "sub/d.JSON.ZST"]);
        // Not taken by name, and not compressed logs either.
        assert_eq!(left_out.by_name, 1);
        assert_eq!(
            left_out.first_by_name.as_ref().map(name).as_deref(),
            Some("notes.txt")
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    /// From a usability review: files a walk does not take by their names were
    /// skipped without a word. They are counted and the first is named; a trail's
    /// digest folder is not walked at all, so its files are not counted.
    #[test]
    fn files_skipped_by_name_are_counted() {
        let root = std::env::temp_dir().join(format!("trailwatch-by-name-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let digest = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/02/25";
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::create_dir_all(root.join(digest)).unwrap();
        for name in [
            "a.json",
            "b.log",
            "c.JSONL",
            "sub/d.txt",
            "e.json.bak",
            "f.zip",
            &format!("{digest}/x.json.gz"),
            &format!("{digest}/y.sig"),
        ] {
            std::fs::write(root.join(name), b"").unwrap();
        }
        let mut left_out = LeftOut::default();
        let got = expand_paths_noting(std::slice::from_ref(&root), &mut left_out).unwrap();
        assert_eq!(got, [root.join("a.json"), root.join("c.JSONL")]);
        assert_eq!(left_out.by_name, 3, "b.log, e.json.bak, sub/d.txt");
        assert_eq!(left_out.first_by_name, Some(root.join("b.log")));
        assert_eq!(left_out.compressed, [root.join("f.zip")]);
        // A file named on the command line is taken whatever its name.
        let mut named = LeftOut::default();
        let got = expand_paths_noting(&[root.join("b.log")], &mut named).unwrap();
        assert_eq!((got.len(), named.by_name), (1, 0));
        std::fs::remove_dir_all(&root).unwrap();
    }

    /// Firehose's objects without an extension are read in a directory walk; a
    /// name that only looks like one (a README, a time without its uuid, a
    /// version that is not a number) is not.
    #[test]
    fn firehose_objects_without_an_extension_are_read() {
        let uuid = "0b6d3c1e-4f2a-4c8e-9a57-21d4f0e6b3aa";
        for name in [
            format!("trail-to-s3-1-2026-02-25-10-15-02-{uuid}"),
            format!("a-b-c-12-2026-12-31-23-59-59-{}", uuid.to_uppercase()),
        ] {
            assert!(is_firehose_object_name(&name), "{name}");
        }
        for name in [
            "README".to_owned(),
            format!("-1-2026-02-25-10-15-02-{uuid}"),
            format!("stream-v1-2026-02-25-10-15-02-{uuid}"),
            "stream-1-2026-02-25-10-15-02".to_owned(),
            format!("stream-1-2026-02-25-10-15-{uuid}"),
            format!("stream-1-2026-02-25-10-15-02-{}", &uuid[1..]),
            format!("stream-1-2026-02-25-10-15-02-{}x", &uuid[1..]),
            format!("stream-1-2026-02-25T10-15-02-{uuid}"),
            format!("stream-1-2026-02-25-10-15-02-{uuid}.tmp"),
            format!("é-1-2026-02-25-10-15-02-{}", &uuid[..35]),
        ] {
            assert!(!is_firehose_object_name(&name), "{name}");
        }
        let root = std::env::temp_dir().join(format!("trailwatch-firehose-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("2026/02/25/10")).unwrap();
        let object = format!("2026/02/25/10/trail-to-s3-1-2026-02-25-10-15-02-{uuid}");
        for name in [object.as_str(), "README", "2026/02/25/10/notes"] {
            std::fs::write(root.join(name), b"").unwrap();
        }
        let got: Vec<PathBuf> = expand_paths(std::slice::from_ref(&root)).unwrap();
        assert_eq!(got, [root.join(&object)]);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
