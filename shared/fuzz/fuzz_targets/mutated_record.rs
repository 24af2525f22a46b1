//! Structured mutations of the sample records (`src/mutate.rs`), each result fed
//! through the replay pipeline as JSON lines of raw records, as JSON lines of
//! EventBridge envelopes and as one `{"Records": [...]}` file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailwatch_fuzz::mutate::{Input, render};
use trailwatch_fuzz::{LARGE_LIMITS, check_stream};

fuzz_target!(|input: Input| {
    let r = render(&input);
    check_stream(&r.lines, LARGE_LIMITS);
    check_stream(&r.envelopes, LARGE_LIMITS);
    check_stream(&r.records_file, LARGE_LIMITS);
});
