//! The `backup-exposure` Lambda function: Backups and copies shared, exported or destroyed: snapshots, images, database copies, Redshift datashares and public access, backup vaults, file systems.
//! All logic lives in the `trailwatch` crate; this only names the group's
//! detections (so that the binary carries no other group's).

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run(&trailwatch::catalog::functions::BACKUP_EXPOSURE).await
}
