"""What every domain model builds on: the strict base model and the stored timestamp type.

Its own module so that ``models`` and the models it is composed of (``attribution``) can both import
it without an import cycle; ``models`` re-exports both names.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, PlainSerializer

from leadrouter.clock import to_iso

#: Every stored timestamp: aware, written as fixed-width UTC text so that string order is time order
#: (they are index sort keys). pydantic's own JSON form drops zero microseconds and would break that.
Moment = Annotated[AwareDatetime, PlainSerializer(to_iso, return_type=str, when_used="json")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
