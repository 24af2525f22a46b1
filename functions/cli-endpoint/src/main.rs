//! The `cli-endpoint` Lambda function: AWS CLI calls with an endpoint override (broad aws-cli/ user-agent pattern).
//! All logic lives in the `trailwatch` crate; this only names the group.

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run("cli-endpoint").await
}
