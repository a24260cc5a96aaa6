"""The one exception the CLI turns into a single clear line and a non-zero exit."""


class CliError(Exception):
    """Bad input or a state the command cannot work from; the message says what to do."""
