"""The on-disk index: a directory with manifest.json pointing at one immutable build directory."""
