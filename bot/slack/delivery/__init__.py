"""Delivery: how a reply reaches Slack (edits or a native stream).

Every reply is planned within one budget for every Slack method.
"""
