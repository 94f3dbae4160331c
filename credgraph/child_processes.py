"""Turns for starting child processes in a process that runs threads (the API server).

A child made by a bare fork (a query worker, an issuing pool's worker) keeps a
copy of every file the server has open at that moment. If another thread is
just then starting a child of its own and handing it its input through pipes
(the update sandbox, ``subprocess.Popen``), the copy keeps those pipes open:
``Popen`` waits for the exec to close its error pipe and waits for good (a
``/sparql/update`` that never answered, seen in the test suite), or the child
never sees the end of its input. So a fork and the start of such a child take
turns: each holds :data:`TURN` while it does it. The turn is short: one fork,
or one ``Popen`` and the write of its input.
"""

from __future__ import annotations

import threading

TURN = threading.Lock()
