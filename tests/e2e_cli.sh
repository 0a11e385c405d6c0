#!/bin/sh
echo "e2e: not yet"
exit 77
