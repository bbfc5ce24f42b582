"""The package version, in a module of its own: imported by the package and by the formatter
(the origin SD element) without an import cycle."""

__version__ = "0.1.0"
