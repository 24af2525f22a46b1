//! `trailwatch`: replay CloudTrail through the detections on your machine, and list
//! them. The command-line code lives only in this binary; the Lambda functions link
//! the library alone.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
