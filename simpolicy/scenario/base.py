"""The base of every schema model."""

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Unknown fields are errors (with a did-you-mean) and values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)
