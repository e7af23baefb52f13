# The one place the version is written: pyproject.toml reads it from here
# (scikit-build-core's regex metadata provider) into the package metadata.
__version__ = "0.1.0"
