//! CloudTrail archives in S3: the key layout and prefix planning (`layout`, pure),
//! objects decoded off the engine's thread and replayed in order (`recorded`), and
//! the S3 reader that walks a plan (`s3`, feature `aws-chain`: the command line's,
//! with aws-sdk-s3).

pub mod layout;
pub mod recorded;
#[cfg(feature = "aws-chain")]
pub mod s3;
