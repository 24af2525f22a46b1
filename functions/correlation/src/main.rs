//! The `correlation` Lambda function: Windowed and correlated detections.
//! All logic lives in the `trailwatch` crate; this only names the group.

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run("correlation").await
}
