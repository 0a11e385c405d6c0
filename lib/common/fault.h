/*
 * fault.h — allocation-failure injection, compiled only into the test
 * suite's own copy of the library (tests/meson.build builds the sources
 * again with -DAM_FAULT_INJECTION).  Not part of the public API.
 */
#ifndef AM_FAULT_H
#define AM_FAULT_H

/* Makes the nth allocation from now on fail, in whichever thread it comes
 * (1 = the next); 0 disarms.  Which allocation is nth can vary between
 * runs once a run uses threads; how many there are does not. */
void am_fault_fail_at(unsigned long nth);

#endif
