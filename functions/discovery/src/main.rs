//! The `discovery` Lambda function: Reconnaissance and credential probing: read-only discovery, enumeration bursts, unusual tools.
//! All logic lives in the `trailwatch` crate; this only names the group's
//! detections (so that the binary carries no other group's).

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run(&trailwatch::catalog::functions::DISCOVERY).await
}
