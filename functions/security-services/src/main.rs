//! The `security-services` Lambda function: Security services switched off or blinded: GuardDuty, Security Hub, Macie, Inspector, Detective, Access Analyzer.
//! All logic lives in the `trailwatch` crate; this only names the group's
//! detections (so that the binary carries no other group's).

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run(&trailwatch::catalog::functions::SECURITY_SERVICES).await
}
