//! The `signin-failures` Lambda function: Console sign-in failures, the root user's included, and IAM Identity Center's.
//! All logic lives in the `trailwatch` crate; this only names the group's
//! detections (so that the binary carries no other group's).

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run(&trailwatch::catalog::functions::SIGNIN_FAILURES).await
}
