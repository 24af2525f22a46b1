//! The `pipeline` Lambda function: Pipeline heartbeat: records canaries, reports silent and restored accounts and Regions.
//! All logic lives in the `trailwatch` crate; this only names the group.

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run("pipeline").await
}
