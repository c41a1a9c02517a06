"""Settings profiles shipped with qa-bot: one TOML file each (``QA_BOT_PROFILE=<name>``, ``qa-bot --profile``)."""
