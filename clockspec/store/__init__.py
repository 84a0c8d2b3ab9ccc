"""What lies on disk: run directories, family folders and the lock that keeps one writer."""
