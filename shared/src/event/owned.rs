//! A record parsed on one thread and used on another: the text and the borrowed
//! view of it travel together (replay parses on its reader threads, so that the
//! one thread that runs the detections does not).

use super::Record;

self_cell::self_cell!(
    /// A [`Record`] with the JSON text it borrows from.
    pub struct OwnedRecord {
        owner: String,
        #[covariant]
        dependent: Record,
    }
);

impl OwnedRecord {
    /// Parses `json` (see [`Record::from_json`]); a text refused for lone
    /// surrogate escapes or values nested too deep is read again with them
    /// repaired (`event::repair`).
    pub fn parse(json: String) -> Result<OwnedRecord, serde_json::Error> {
        match OwnedRecord::try_new_or_recover(json, |text| Record::from_json(text)) {
            Ok(rec) => Ok(rec),
            Err((json, e)) => match super::repair::repaired(&json) {
                Some(fixed) => OwnedRecord::try_new(fixed, |text| Record::from_json(text)),
                None => Err(e),
            },
        }
    }

    pub fn record(&self) -> &Record<'_> {
        self.borrow_dependent()
    }
}

impl std::fmt::Debug for OwnedRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.borrow_owner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_view_and_its_text_together_across_threads() {
        let json = r#"{"eventSource":"s3.amazonaws.com","eventName":"PutBucketAcl","requestParameters":{"bucketName":"b"}}"#;
        let owned = OwnedRecord::parse(json.to_owned()).unwrap();
        let owned = std::thread::spawn(move || owned).join().unwrap();
        assert_eq!(owned.record().event_name(), "PutBucketAcl");
        assert_eq!(owned.record().request_param_str("bucketName"), Some("b"));
        assert_eq!(owned.record().raw, Some(json));
        assert!(OwnedRecord::parse(r#"{"eventName":5}"#.to_owned()).is_err());
    }
}
