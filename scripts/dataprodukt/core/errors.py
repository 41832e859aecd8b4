"""The one exception type a user sees: a single line saying what, where and what to do."""


class UserError(Exception):
    """An error caused by input or environment that the user can fix.

    The CLI prints ``str(error)`` on one line and exits with status 2, never a traceback.
    """
