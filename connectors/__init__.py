"""Connector plugins shipped with task-bridge; each sub-package knows one tracker.

The core never imports these by name: it finds them through the `bridge.connectors` entry points.
"""
