//! Several signaling servers at once: their statuses seen as one, as the person sees
//! the connection (the status bar), while the list shows each.

use super::Status;

/// The statuses of every server in use, as one.
#[derive(Clone, Debug, PartialEq)]
pub struct Overall {
    /// Online when any server is; connecting when none is and one is trying; else
    /// offline with the reason of the server that retries first.
    pub status: Status,
    /// How many servers have us registered.
    pub online: usize,
    /// How many servers are in use.
    pub of: usize,
}

impl Overall {
    /// The servers' statuses as one. No server at all is offline without a retry.
    pub fn of(statuses: &[Status]) -> Overall {
        let online = statuses.iter().filter(|s| **s == Status::Online).count();
        let status = if online > 0 {
            Status::Online
        } else if statuses.contains(&Status::Connecting) {
            Status::Connecting
        } else {
            // The soonest retry speaks for all; without any, the first server's reason.
            let retrying = statuses
                .iter()
                .filter(|s| {
                    matches!(
                        s,
                        Status::Offline {
                            retry_in_ms: Some(_),
                            ..
                        }
                    )
                })
                .min_by_key(|s| match s {
                    Status::Offline { retry_in_ms, .. } => *retry_in_ms,
                    _ => None,
                });
            retrying
                .or(statuses.first())
                .cloned()
                .unwrap_or(Status::Offline {
                    reason: super::OfflineReason::ServerUnreachable,
                    retry_in_ms: None,
                })
        };
        Overall {
            status,
            online,
            of: statuses.len(),
        }
    }

    /// The status in words for the status bar: "Online", "Online (1 of 2 servers)",
    /// "Connecting…", "Offline: <reason>".
    pub fn words(&self) -> String {
        match &self.status {
            Status::Online if self.online < self.of => {
                format!("Online ({} of {} servers)", self.online, self.of)
            }
            Status::Online => "Online".into(),
            Status::Connecting => "Connecting…".into(),
            Status::Offline { reason, .. } => format!("Offline: {}", reason.describe()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signaling::OfflineReason;

    fn offline(reason: OfflineReason, retry: Option<u32>) -> Status {
        Status::Offline {
            reason,
            retry_in_ms: retry,
        }
    }

    #[test]
    fn one_server_online_is_enough() {
        let all = Overall::of(&[offline(OfflineReason::IdTaken, None), Status::Online]);
        assert_eq!(all.status, Status::Online);
        assert_eq!(all.words(), "Online (1 of 2 servers)");
        assert_eq!(Overall::of(&[Status::Online]).words(), "Online");
    }

    #[test]
    fn connecting_before_offline_and_the_soonest_retry_speaks() {
        let lost = offline(OfflineReason::ConnectionLost, Some(4_000));
        let soon = offline(OfflineReason::ServerUnreachable, Some(1_000));
        let halted = offline(OfflineReason::IdTaken, None);
        assert_eq!(
            Overall::of(&[lost.clone(), Status::Connecting]).status,
            Status::Connecting
        );
        assert_eq!(
            Overall::of(&[halted.clone(), lost.clone(), soon.clone()]).status,
            soon
        );
        assert_eq!(Overall::of(std::slice::from_ref(&halted)).status, halted);
        assert_eq!(Overall::of(&[]).words(), "Offline: server unreachable");
    }
}
