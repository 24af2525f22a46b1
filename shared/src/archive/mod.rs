//! CloudTrail archives in S3: the key layout and prefix planning (`layout`, pure),
//! objects decoded off the engine's thread and replayed in order (`recorded`), and
//! the S3 reader that walks a plan (`s3`, feature `aws`).

pub mod layout;
pub mod recorded;
#[cfg(feature = "aws")]
pub mod s3;
