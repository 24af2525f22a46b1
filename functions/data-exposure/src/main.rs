//! The `data-exposure` Lambda function: Data exposure, exfiltration and destruction: S3, snapshots, images, databases, keys, secrets.
//! All logic lives in the `trailwatch` crate; this only names the group.

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run("data-exposure").await
}
