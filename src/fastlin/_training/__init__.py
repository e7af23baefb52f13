"""scikit-learn estimators trained on fastlin's fused passes (needs scikit-learn)."""

from .classifier import LinearClassifier
from .regression import LinearRegression

__all__ = ["LinearClassifier", "LinearRegression"]
