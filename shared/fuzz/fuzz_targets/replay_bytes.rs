//! Arbitrary bytes as a `trailwatch replay` input: plain or gzip, any shape, through
//! the reader (small limits), the record parser, the engine over the whole
//! catalogue and every rendering of every finding. See `src/lib.rs` for the
//! invariants checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    trailwatch_fuzz::check_stream(data, trailwatch_fuzz::SMALL_LIMITS);
});
