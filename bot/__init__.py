"""A Slack bot that answers questions from GitBook documentation."""
