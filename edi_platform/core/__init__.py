"""Platform-wide plumbing: schedules, scheduler heartbeat, admin user bootstrap."""
