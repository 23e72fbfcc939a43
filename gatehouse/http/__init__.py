"""What the API and the pages share: request dependencies, cookies, the error shape and map.

Neither ``gatehouse.api`` nor ``gatehouse.web`` imports the other; both import this package,
and ``gatehouse.app`` puts them together.
"""
