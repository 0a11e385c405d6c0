/*
 * check_run.h — the end of every unit suite's main(): runs the suite
 * and counts its failures, for the exit status meson reads.
 */
#ifndef AM_CHECK_RUN_H
#define AM_CHECK_RUN_H

#include <check.h>

/* Runs every test of s (the runner then frees s); returns how many failed. */
static inline int am_check_failures(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    const int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed;
}

#endif
