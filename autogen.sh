#!/bin/sh
# Generates configure and the Makefile.in files from configure.ac and
# Makefile.am. Run once after a clone; script/server and script/test do.
set -e
cd "$(dirname "$0")"
autoreconf -fi
