//! The `signin-failures` Lambda function: Console sign-in failures.
//! All logic lives in the `trailwatch` crate; this only names the group.

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run("signin-failures").await
}
