//! The `iam-persistence` Lambda function: IAM and STS persistence and privilege escalation: users, roles, policies, login profiles, MFA, identity providers, federation.
//! All logic lives in the `trailwatch` crate; this only names the group's
//! detections (so that the binary carries no other group's).

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run(&trailwatch::catalog::functions::IAM_PERSISTENCE).await
}
