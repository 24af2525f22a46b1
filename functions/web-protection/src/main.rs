//! The `web-protection` Lambda function: Web protection switched off: WAF web ACLs taken off their resources or emptied, WAF rules and rule groups deleted or emptied.
//! All logic lives in the `trailwatch` crate; this only names the group's
//! detections (so that the binary carries no other group's).

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run(&trailwatch::catalog::functions::WEB_PROTECTION).await
}
