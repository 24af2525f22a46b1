//! The `hijacking` Lambda function: Resource hijacking with stolen credentials: compute launched across Regions, SES sending, domains registered.
//! All logic lives in the `trailwatch` crate; this only names the group's
//! detections (so that the binary carries no other group's).

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run(&trailwatch::catalog::functions::HIJACKING).await
}
