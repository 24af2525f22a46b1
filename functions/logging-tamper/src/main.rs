//! The `logging-tamper` Lambda function: Audit logging tampering: CloudTrail trails, event stores, log buckets and keys, Config and its recorder role, IAM log evasion, security services taken off the organisation, database activity streams, Bedrock invocation logging.
//! All logic lives in the `trailwatch` crate; this only names the group's
//! detections (so that the binary carries no other group's).

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run(&trailwatch::catalog::functions::LOGGING_TAMPER).await
}
