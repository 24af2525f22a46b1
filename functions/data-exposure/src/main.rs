//! The `data-exposure` Lambda function: Data exposure, exfiltration and destruction: S3 buckets and objects, default encryption, keys, secrets, tables, certificates, queues purged.
//! All logic lives in the `trailwatch` crate; this only names the group's
//! detections (so that the binary carries no other group's).

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run(&trailwatch::catalog::functions::DATA_EXPOSURE).await
}
