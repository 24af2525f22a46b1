//! The `iam-persistence` Lambda function: IAM and STS persistence and privilege escalation: users, roles, policies, login profiles, MFA, identity providers, federation.
//! All logic lives in the `trailwatch` crate; this only names the group.

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run("iam-persistence").await
}
