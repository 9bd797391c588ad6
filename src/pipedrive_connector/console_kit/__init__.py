"""Shared pieces of the two web consoles (the sandbox's and the triggers'): escaping HTML helpers,
the page layout, a pager, an inline SVG bar chart, and the static CSS/JS served by both.

A shared utility outside the five parts (like ``serving``): it depends on Starlette only, so the
sandbox and the triggers may both use it without importing each other.
"""
