//! The `logging-tamper` Lambda function: Logging and monitoring tampering: CloudTrail, CloudWatch, Config, IAM log evasion.
//! All logic lives in the `trailwatch` crate; this only names the group.

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run("logging-tamper").await
}
