//! The `logging-tamper` Lambda function: Logging and monitoring tampering: CloudTrail, CloudWatch, Config, IAM log evasion.
//! All logic lives in the `trailwatch` crate; this only names the group's
//! detections (so that the binary carries no other group's).

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run(&trailwatch::catalog::functions::LOGGING_TAMPER).await
}
