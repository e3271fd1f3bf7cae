"""Fleet manager: terminal registry, signed remote config, heartbeats, commands, staff console."""
