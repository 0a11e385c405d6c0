/*
 * fault.h — allocation-failure injection, compiled only into test builds
 * (meson -Dfault_injection=true).  Not part of the public API.
 */
#ifndef AM_FAULT_H
#define AM_FAULT_H

/* Makes the nth allocation from now on in this thread fail (1 = the next);
 * 0 disarms. */
void am_fault_fail_at(unsigned long nth);

#endif
