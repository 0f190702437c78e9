"""Slack: replies, guards, inbound text, blocks, user-facing strings, markdown, web surface.

Knows nothing of GitBook's wire format.
"""
