"""One package per Lambda function: `functions/<feature>/handler.py` is its entry point.

Every handler imports this package first, so it is where process-wide import settings for cold starts live.

pydantic.v1 is marked absent. Nothing here uses it (ruff bans it: TID251), but FastAPI imports it the first time it
builds a model field, only to check that the model is not a pydantic v1 model — about 90 ms of each HTTP function's
cold start. With the module absent FastAPI's check answers "not a v1 model" at once, as it does on a pydantic
without v1 (FastAPI handles that ImportError itself). Where pydantic.v1 is already loaded nothing changes.
"""

import sys

# None in sys.modules is the import system's own "this module cannot be imported" marker (typeshed omits it).
sys.modules.setdefault("pydantic.v1", None)  # type: ignore[arg-type]
