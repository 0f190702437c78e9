"""GitBook: the HTTP + SSE client and its wire types, the site directory, link rewriting.

Knows nothing of Slack.
"""
