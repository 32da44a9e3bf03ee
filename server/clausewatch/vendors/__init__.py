"""The known vendors, and the watcher that fetches their policies so the badge is fresh."""
