"""Every domain write goes through one named service here (``<noun>_<verb>``).

Views, admin actions, the wizard, management commands and tasks only call these.
"""
