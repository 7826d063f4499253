"""The start-up layer: what runs in every interpreter start inside a project.

Standard library only, and no ``from __future__`` imports: ``vimport hook install`` joins every
module here into one file, ``_vimport_runtime``, beside the installed sitecustomize (one import
instead of a package and six modules), and copies ``discover`` into the sitecustomize itself, so
a process outside any project imports nothing at all. Imports of ``versioned_import`` modules are
dropped when joining: a module may import only from this package and ``__version__`` from the
top. ``tests/test_layers.py`` and ``tests/test_bundle.py`` hold every module to that.
"""
