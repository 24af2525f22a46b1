//! `trailwatch`: replay CloudTrail through the detections on your machine, list
//! them, check a tuning file, write a synthetic corpus. The command-line code lives only in this binary; the Lambda functions link
//! the library alone.

mod cli;

#[cfg(feature = "cli-alloc")]
#[global_allocator]
static ALLOC: cli::alloc::Split = cli::alloc::Split;

fn main() {
    #[cfg(feature = "cli-alloc")]
    {
        cli::alloc::keep_freed_memory();
        cli::alloc::small_pages();
    }
    std::process::exit(cli::main());
}
