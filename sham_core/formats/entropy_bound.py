"""Shannon lower bounds for coding a matrix's entries symbol by symbol."""
import numpy as np

from ..kernels.symbols import symbolize
from .base import check_matrix


def entropy_bits(W, nonzero_only=False):
    """Bits needed at least to code the entries of W as i.i.d. symbols.

    With ``nonzero_only`` only the nonzero entries (bit pattern not +0.0) count: the
    bound for sHAM's value stream, which excludes its row indices.
    """
    bits = check_matrix(W).view(np.uint32).ravel()
    if nonzero_only:
        bits = bits[bits != 0]
    if bits.size == 0:
        return 0.0
    counts = symbolize(bits)[2].astype(np.float64)
    p = counts / bits.size
    return float(-(counts * np.log2(p)).sum())
