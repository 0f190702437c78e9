"""The answer service: a question in, drafts and one final answer out.

Single-flight, the answer cache and thread history. Knows nothing of Slack.
"""
