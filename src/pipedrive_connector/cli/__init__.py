"""The ``pipedrive`` command line interface."""
