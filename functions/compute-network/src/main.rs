//! The `compute-network` Lambda function: Compute and network changes: EC2, VPC, security groups, Lambda, containers, Systems Manager.
//! All logic lives in the `trailwatch` crate; this only names the group.

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run("compute-network").await
}
