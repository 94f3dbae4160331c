"""Sub-commands of ``credgraph``: every module here with a ``register`` function.

``register(commands, imports)`` adds the module's parsers; ``imports`` is the
``credgraph import ...`` group. Modules are discovered, so adding a command
means adding a module and nothing else.
"""

import pkgutil

COMMAND_MODULES = sorted(
    info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")
)
