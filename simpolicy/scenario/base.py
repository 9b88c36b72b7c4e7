"""The base of every schema model."""

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Unknown fields are errors (with a did-you-mean), values are immutable, and numbers
    must be finite (NaN or infinity in a budget or a share is bad input, not a value)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
