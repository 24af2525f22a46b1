//! CloudTrail archives in S3: the key layout and prefix planning (pure, `layout`),
//! and the S3 reader that walks a plan (`s3`, feature `aws`).

pub mod layout;
