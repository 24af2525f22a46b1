//! Arbitrary text as the event pattern of an EventBridge rule someone puts:
//! `rules::matcher` reads it directly and inside a `PutRule` record through the
//! whole pipeline. See `src/lib.rs` (`check_rule_pattern`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    trailwatch_fuzz::check_rule_pattern(data);
});
