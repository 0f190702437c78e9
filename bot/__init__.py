"""A Slack bot that answers questions from GitBook documentation."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gitbook-docs-bot")  # the one version source: pyproject.toml
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
