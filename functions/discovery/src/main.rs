//! The `discovery` Lambda function: Reconnaissance and credential probing: read-only discovery, enumeration bursts, unusual tools.
//! All logic lives in the `trailwatch` crate; this only names the group.

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run("discovery").await
}
