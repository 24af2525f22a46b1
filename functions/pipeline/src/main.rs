//! The `pipeline` Lambda function: Pipeline heartbeat: records canaries, reports silent and restored accounts and Regions.
//! All logic lives in the `trailwatch` crate; this only names the group's
//! detections (so that the binary carries no other group's).

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run(&trailwatch::catalog::functions::PIPELINE).await
}
