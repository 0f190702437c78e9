"""Insights: ask_question events, aggregate queries and the docs team's report.

Also docs gaps, feedback, who may see insights, their Slack blocks and the weekly digest.
"""
